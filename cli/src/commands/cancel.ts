// `ktsu cancel RUN`: stops a run that is running or waiting on a human (POST /runs/:id/cancel).

import type { Command } from "commander";
import { ApiError, TOKEN_HELP, clientFor, errorLine } from "../client/orchestrator.ts";
import { colorEnabled, styleFor } from "../render/style.ts";

const ORCHESTRATOR_HELP = "orchestrator URL (env: KTSU_ORCHESTRATOR_URL; default http://localhost:5050)";

/** The error line of a refused cancel, with the orchestrator's answer explained. */
export function cancelError(runId: string, error: unknown): string {
  if (error instanceof ApiError && error.status === 404) return `cancel: run ${runId} not found (status 404); ktsu runs lists the runs`;
  if (error instanceof ApiError && error.status === 409) return `cancel: run ${runId} cannot be cancelled: ${error.message} (status 409)`;
  return errorLine("cancel", error);
}

export function register(program: Command): void {
  program
    .command("cancel")
    .description(
      "cancel a run: its LLM and tool calls in flight are aborted, its sub-runs cancelled, its pending approvals closed, its unsent webhooks never sent",
    )
    .argument("<run_id>", "the run id")
    .option("--orchestrator <url>", ORCHESTRATOR_HELP)
    .option("--token <token>", TOKEN_HELP)
    .action(async (runId: string, flags: { orchestrator?: string; token?: string }) => {
      const client = clientFor(flags.orchestrator, process.env, flags.token);
      try {
        await client.cancel(runId);
      } catch (error) {
        process.stderr.write(`${cancelError(runId, error)}\n`);
        process.exitCode = 1;
        return;
      }
      const style = styleFor(colorEnabled(process.stdout));
      process.stdout.write(`${style.paint("yellow", "cancelled")}: run ${runId}\n`);
    });
}
