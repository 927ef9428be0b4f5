// `ktsu replay RUN [--project DIR] [--orchestrator URL] [--save FILE] [--live]`: reruns a
// recorded run's workflow with the same input on a local stack started for the replay, every
// LLM call, tool call and webhook answered from the recording, and prints step by step what
// changed. Exit codes: 0 nothing changed; 1 something changed; 2 the replay could not run.

import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { errorMessage } from "../../../shared/util/errors.ts";
import { TOKEN_HELP, clientFor, errorLine } from "../client/orchestrator.ts";
import { caseFromRecording, serializeCase } from "../pipeline-test/case.ts";
import { compareRuns, type StepComparison } from "../replay/compare.ts";
import { loadRecording, type Recording } from "../replay/recording.ts";
import { colorEnabled, styleFor } from "../render/style.ts";

interface ReplayFlags {
  project?: string;
  orchestrator?: string;
  token?: string;
  save?: string;
  live?: boolean;
  verbose?: boolean;
}

export const REPLAY_EXIT = { clean: 0, changed: 1, error: 2 } as const;

/** The per-step report: one line per step, the reasons under a changed one. */
export function renderReplayReport(recording: Recording, comparisons: StepComparison[], unanswered: readonly string[], color: boolean): string {
  const style = styleFor(color);
  const width = Math.max(4, ...comparisons.map((c) => c.step.length));
  const lines = [`replay of ${recording.run_id ?? "the recording"} (workflow ${recording.workflow}), ${comparisons.length} step(s):`];
  for (const c of comparisons) {
    lines.push(`  ${c.step.padEnd(width)}  ${c.changed ? style.paint("red", "changed") : style.paint("green", "same")}`);
    for (const reason of c.reasons) lines.push(`      ${reason}`);
    for (const note of c.notes ?? []) lines.push(`      ${note}`);
  }
  for (const item of unanswered) lines.push(`  not in the recording: ${item}`);
  const changed = comparisons.filter((c) => c.changed).length;
  lines.push(changed === 0 ? "nothing changed" : `${changed} step(s) changed`);
  return `${lines.join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("replay")
    .description("rerun a recorded run on a local stack, answering LLM and tool calls from the recording, and report what changed")
    .argument("<run>", "the run id")
    .option("--project <dir>", "the project to replay (default: the current directory)")
    .option("--orchestrator <url>", "where the run was recorded (env: KTSU_ORCHESTRATOR_URL; default http://localhost:5050)")
    .option("--token <token>", TOKEN_HELP)
    .option("--save <file>", "also write the recording as a test case (YAML, or JSON for .json) for `ktsu test`")
    .option("--live", "send the LLM calls to the project's real providers instead of the recording (tools and webhooks stay replayed)")
    .option("--verbose", "print the replay stack's Worker logs")
    .action(async (runId: string, flags: ReplayFlags) => {
      let recording: Recording;
      try {
        recording = await loadRecording(clientFor(flags.orchestrator, process.env, flags.token), runId, { items: true });
      } catch (error) {
        process.stderr.write(`${errorLine("replay", error)}\n`);
        process.exitCode = REPLAY_EXIT.error;
        return;
      }
      if (flags.save) {
        writeFileSync(flags.save, serializeCase(caseFromRecording(recording), flags.save));
        process.stdout.write(`saved the recording as a test case: ${flags.save}\n`);
      }
      try {
        // Loaded here, not with the CLI: the replay stack's modules take over a second to import.
        const { startReplayStack } = await import("../replay/local-stack.ts");
        const stack = await startReplayStack({
          projectDir: path.resolve(flags.project ?? "."),
          ...(flags.live ? { liveModels: true } : {}),
          ...(flags.verbose ? { verbose: true } : {}),
        });
        try {
          const outcome = await stack.replay(recording);
          const comparisons = compareRuns(recording, outcome.replayed, outcome.mismatches, stack.scrub, outcome.unchecked);
          process.stdout.write(renderReplayReport(recording, comparisons, outcome.unanswered, colorEnabled(process.stdout)));
          process.exitCode = comparisons.some((c) => c.changed) || outcome.unanswered.length > 0 ? REPLAY_EXIT.changed : REPLAY_EXIT.clean;
        } finally {
          await stack.dispose();
        }
      } catch (error) {
        process.stderr.write(`replay: ${errorMessage(error)}\n`);
        process.exitCode = REPLAY_EXIT.error;
      }
    });
}
