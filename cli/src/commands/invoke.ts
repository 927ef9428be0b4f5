// `ktsu invoke NAME [--input JSON] [--wait] [--orchestrator URL]`: start a run;
// with --wait, follow it live over Server-Sent Events until it ends.
//
// Exit codes: 0 complete (or accepted without --wait); 1 failed, or an error;
// 2 a bad --input (nothing sent), or the run waits on a human and
// --no-block-on-approval was given, or --timeout expired while it waited on one;
// 3 --timeout expired while the run was still working.

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { TOKEN_HELP, clientFor, errorLine, type OrchestratorClient, type Envelope } from "../client/orchestrator.ts";
import { SseGaveUpError } from "../../../shared/sse/follow.ts";
import { shortDuration, usd } from "../render/format.ts";
import { RunProgress } from "../render/progress.ts";
import { colorEnabled, Spinner, styleFor } from "../render/style.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

export const EXIT = { complete: 0, failed: 1, usage: 2, human: 2, timeout: 3, interrupted: 130 } as const;

interface InvokeFlags {
  /** The admin token `--wait` reads the run with (else KTSU_ADMIN_TOKEN). */
  token?: string;
  input?: string;
  header?: string[];
  wait?: boolean;
  orchestrator?: string;
  json?: boolean;
  blockOnApproval?: boolean;
  timeout?: string;
}

/** A usage problem found before any request is sent. */
export class InputError extends Error {}

/**
 * The request body from `--input`: inline JSON, `@FILE`, or `-` (stdin). It
 * must be a JSON object; the original text is sent unchanged.
 */
export function readInput(input: string | undefined, readStdin: () => string = () => readFileSync(0, "utf8")): string {
  if (input === undefined) return "{}";
  let text = input;
  let source = "--input";
  if (input === "-") {
    text = readStdin();
    source = "--input - (stdin)";
  } else if (input.startsWith("@")) {
    const file = input.slice(1);
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new InputError(`${source}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, { cause: error });
    }
    source = `--input ${input}`;
  }
  if (text.trim() === "") return "{}";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source} is not valid JSON (${errorMessage(error)}); pass a JSON object, e.g. --input '{"name":"world"}'`, { cause: error });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new InputError(`${source} must be a JSON object, not ${kind}; e.g. --input '{"name":"world"}'`);
  }
  return text;
}

/** `--header "Name: value"` (repeatable), e.g. the token of a workflow with `invoke.auth`. */
export function parseHeaders(values: readonly string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values ?? []) {
    const colon = value.indexOf(":");
    const name = colon > 0 ? value.slice(0, colon).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new InputError(`--header must look like "Name: value", not "${value}"`);
    headers[name] = value.slice(colon + 1).trim();
  }
  return headers;
}

function timeoutMs(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const seconds = Number(flag);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InputError(`--timeout must be a positive number of seconds, not "${flag}"`);
  return seconds * 1000;
}

/** The output of the last step that completed (envelope steps are in execution order). */
export function finalOutput(envelope: Envelope): { step: string; output: Record<string, unknown> } | undefined {
  const done = (envelope.steps ?? []).filter((s) => s.status === "complete");
  const last = done[done.length - 1];
  return last ? { step: last.id, output: last.output ?? {} } : undefined;
}

async function follow(client: OrchestratorClient, runId: string, flags: InvokeFlags, explicitUrl: boolean): Promise<number> {
  // With --json, stdout carries only the envelope; progress goes to stderr.
  const out = flags.json ? process.stderr : process.stdout;
  const tty = colorEnabled(out);
  const style = styleFor(tty);
  const spinner = new Spinner(out, tty && out.isTTY === true);
  const progress = new RunProgress({ runId, style, commandArgs: explicitUrl ? ["--orchestrator", client.baseUrl] : [] });
  const print = (line: string) => spinner.line(line);
  const block = flags.blockOnApproval !== false;
  const limit = timeoutMs(flags.timeout);

  const abort = new AbortController();
  let why: "timeout" | "interrupt" | undefined;
  const timer =
    limit !== undefined
      ? setTimeout(() => {
          why = "timeout";
          abort.abort(new Error("timeout"));
        }, limit)
      : undefined;
  const onSignal = () => {
    why = "interrupt";
    abort.abort(new Error("interrupted"));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const tick = setInterval(() => spinner.set(progress.spinnerText(Date.now())), 250);
  tick.unref();
  spinner.set(progress.spinnerText(Date.now()));

  const envelopeOut = async () => {
    if (!flags.json) return;
    const envelope = await client.envelope(runId);
    process.stdout.write(`${JSON.stringify(envelope, null, 2)}\n`);
  };

  try {
    for await (const event of client.events(runId, {
      signal: abort.signal,
      onReconnect: (info) => {
        if (info.attempt > 1) spinner.line(style.paint("gray", `event stream dropped (${info.reason}); reconnecting (try ${info.attempt})`));
      },
    })) {
      for (const line of progress.onEvent(event)) print(line);
      spinner.set(progress.spinnerText(Date.now()));
      if (!block && progress.waitingOnHuman) {
        spinner.stop();
        out.write(`run ${runId} is waiting for a human decision; not waiting (--no-block-on-approval)\n`);
        await envelopeOut();
        return EXIT.human;
      }
      if (progress.outcome === "complete" || progress.outcome === "failed" || progress.outcome === "cancelled") break;
    }
  } catch (error) {
    spinner.stop();
    if (why === "timeout") {
      const human = progress.waitingOnHuman;
      out.write(
        `invoke: gave up waiting after ${flags.timeout}s; run ${runId} is ${human ? "waiting for a human decision" : "still running"} (ktsu runs get ${runId})\n`,
      );
      await envelopeOut().catch(() => {});
      return human ? EXIT.human : EXIT.timeout;
    }
    if (why === "interrupt") {
      out.write(`stopped waiting; run ${runId} goes on (ktsu runs get ${runId})\n`);
      return EXIT.interrupted;
    }
    if (error instanceof SseGaveUpError) {
      process.stderr.write(`invoke: ${error.message}; follow the run with: ktsu runs get ${runId}\n`);
      return EXIT.failed;
    }
    process.stderr.write(`${errorLine("invoke", error)}\n`);
    return EXIT.failed;
  } finally {
    spinner.stop();
    clearInterval(tick);
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const took = progress.startedAt && progress.endedAt ? ` in ${shortDuration(Date.parse(progress.endedAt) - Date.parse(progress.startedAt))}` : "";
  const summary = `(${progress.settledSteps} step${progress.settledSteps === 1 ? "" : "s"}, ${usd(progress.costUsd)})`;
  if (progress.outcome === "failed") {
    out.write(`${style.paint("red", "run failed")}${took} ${summary}: ${progress.error ?? "(no error message)"}\n`);
    await envelopeOut();
    return EXIT.failed;
  }
  if (progress.outcome === "cancelled") {
    out.write(`${style.paint("yellow", "run cancelled")}${took} ${summary}: ${progress.error ?? "(no reason given)"}\n`);
    await envelopeOut();
    return EXIT.failed;
  }
  if (progress.outcome !== "complete") {
    // The stream ended without a final event (should not happen): report what we know.
    process.stderr.write(`invoke: the event stream of run ${runId} ended early; see ktsu runs get ${runId}\n`);
    return EXIT.failed;
  }
  out.write(`${style.paint("green", "run complete")}${took} ${summary}\n`);
  if (flags.json) {
    await envelopeOut();
    return EXIT.complete;
  }
  const envelope = await client.envelope(runId);
  const final = finalOutput(envelope);
  out.write(final ? `output (step ${final.step}):\n${JSON.stringify(final.output, null, 2)}\n` : "output: (no step completed)\n");
  return EXIT.complete;
}

export function register(program: Command): void {
  program
    .command("invoke")
    .description("start a run of a workflow; with --wait, follow it live until it ends")
    .argument("<workflow>", "the workflow's invoke name")
    .option("--input <json>", "the run's input: a JSON object, @FILE, or - for stdin (default {})")
    .option(
      "-H, --header <header>",
      'extra request header "Name: value" (repeatable), e.g. the token of a workflow with invoke.auth',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option("--wait", "follow the run live and print each step as it settles, then the final output")
    .option("--json", "with --wait: print the whole envelope as JSON on stdout (progress goes to stderr)")
    .option("--no-block-on-approval", "with --wait: stop (exit 2) as soon as the run waits on an approval instead of waiting for the decision")
    .option("--timeout <seconds>", "with --wait: stop waiting after this long (exit 2 if an approval is pending, else 3)")
    .option("--orchestrator <url>", "orchestrator URL (env: KTSU_ORCHESTRATOR_URL; default http://localhost:5050)")
    .option("--token <token>", TOKEN_HELP)
    .action(async (workflow: string, flags: InvokeFlags) => {
      let body: string;
      let headers: Record<string, string>;
      try {
        body = readInput(flags.input);
        headers = parseHeaders(flags.header);
        timeoutMs(flags.timeout);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        process.stderr.write(`invoke: ${error.message}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      const client = clientFor(flags.orchestrator, process.env, flags.token);
      let runId: string;
      try {
        runId = (await client.invoke(workflow, body, headers)).run_id;
      } catch (error) {
        process.stderr.write(`${errorLine("invoke", error)}\n`);
        process.exitCode = EXIT.failed;
        return;
      }
      (flags.json && flags.wait ? process.stderr : process.stdout).write(`run_id: ${runId}\n`);
      if (!flags.wait) return;
      try {
        process.exitCode = await follow(client, runId, flags, flags.orchestrator !== undefined);
      } catch (error) {
        // Reading the envelope at the end failed.
        process.stderr.write(`${errorLine("invoke", error)}\n`);
        process.exitCode = EXIT.failed;
      }
    });
}
