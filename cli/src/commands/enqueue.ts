// `ktsu enqueue WORKFLOW [--input JSON]`: queue a run through the orchestrator's
// `POST /enqueue/{workflow}` (the checks of invoke, then a real message on the
// run queue, whose consumer starts the run). Prints the run id at once; follow
// it with `ktsu runs get RUN_ID`.
import type { Command } from "commander";
import { clientFor, errorLine } from "../client/orchestrator.ts";
import { EXIT, InputError, parseHeaders, readInput } from "./invoke.ts";

interface EnqueueFlags {
  input?: string;
  header?: string[];
  idempotencyKey?: string;
  orchestrator?: string;
}

export function register(program: Command): void {
  program
    .command("enqueue")
    .description("queue a run of a workflow (POST /enqueue): the run queue's consumer starts it")
    .argument("<workflow>", "the workflow's invoke name")
    .option("--input <json>", "the run's input: a JSON object, @FILE, or - for stdin (default {})")
    .option("-H, --header <header>", 'extra request header "Name: value" (repeatable)', (value: string, all: string[] = []) => [...all, value])
    .option("--idempotency-key <key>", "names the run: enqueueing again with the same key and input queues no second run")
    .option("--orchestrator <url>", "orchestrator URL (env: KTSU_ORCHESTRATOR_URL; default http://localhost:5050)")
    .action(async (workflow: string, flags: EnqueueFlags) => {
      let body: string;
      let headers: Record<string, string>;
      try {
        body = readInput(flags.input);
        headers = parseHeaders(flags.header);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        process.stderr.write(`enqueue: ${error.message}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      if (flags.idempotencyKey) headers["Idempotency-Key"] = flags.idempotencyKey;
      try {
        const queued = await clientFor(flags.orchestrator).enqueue(workflow, body, headers);
        process.stdout.write(`run_id: ${queued.run_id}\nstatus: ${queued.status}\nidempotency_key: ${queued.idempotency_key}\n`);
      } catch (error) {
        process.stderr.write(`${errorLine("enqueue", error)}\n`);
        process.exitCode = EXIT.failed;
      }
    });
}
