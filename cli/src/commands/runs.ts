// `ktsu runs [--workflow W] [--status S] [--limit N]`: the table of runs;
// `ktsu runs get ID`: the run's envelope as indented JSON.

import type { Command } from "commander";
import type { RunRecord } from "../../../shared/contracts/records.ts";
import { TOKEN_HELP, clientFor, errorLine } from "../client/orchestrator.ts";
import { between, goSeconds, localTime, renderTable } from "../render/format.ts";
import { MAX_RUN_LIST_LIMIT } from "../../../shared/contracts/run-list.ts";

interface RunsFlags {
  token?: string;
  workflow?: string;
  status?: string;
  limit?: string;
  orchestrator?: string;
  json?: boolean;
}

const ORCHESTRATOR_HELP = "orchestrator URL (env: KTSU_ORCHESTRATOR_URL; default http://localhost:5050)";

/** The original's table: duration is `updated − created` (rounded to the second) for runs that ended, else `-`. */
export function runsTable(runs: readonly RunRecord[]): string {
  const rows = runs.map((run) => {
    const ended = run.status === "complete" || run.status === "failed" || run.status === "cancelled";
    const ms = ended ? between(run.created_at, run.updated_at) : undefined;
    return [run.id, run.workflow_name, run.status, localTime(run.created_at), ms === undefined ? "-" : goSeconds(ms)];
  });
  return renderTable(["RUN ID", "WORKFLOW", "STATUS", "STARTED", "DURATION"], rows);
}

function limitFrom(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const n = Number(flag);
  return Number.isInteger(n) && n > 0 && n <= MAX_RUN_LIST_LIMIT ? n : undefined;
}

export function register(program: Command): void {
  const runs = program
    .command("runs")
    .description("list runs, newest first (see also: ktsu runs get ID)")
    .option("--workflow <name>", "only runs of this workflow")
    .option("--status <status>", "only runs with this status (running, complete, failed, needs_human, cancelled)")
    .option("--limit <n>", `at most this many runs, 1 to ${MAX_RUN_LIST_LIMIT} (default 50)`)
    .option("--json", "print the runs as JSON instead of a table")
    .option("--orchestrator <url>", ORCHESTRATOR_HELP)
    .option("--token <token>", TOKEN_HELP)
    .action(async (flags: RunsFlags) => {
      if (flags.limit !== undefined && limitFrom(flags.limit) === undefined) {
        process.stderr.write(`runs: --limit must be an integer from 1 to ${MAX_RUN_LIST_LIMIT}, not "${flags.limit}"\n`);
        process.exitCode = 2;
        return;
      }
      const client = clientFor(flags.orchestrator, process.env, flags.token);
      try {
        const list = await client.listRuns({
          ...(flags.workflow ? { workflow: flags.workflow } : {}),
          ...(flags.status ? { status: flags.status } : {}),
          ...(flags.limit ? { limit: limitFrom(flags.limit)! } : {}),
        });
        process.stdout.write(flags.json ? `${JSON.stringify({ runs: list }, null, 2)}\n` : runsTable(list));
      } catch (error) {
        process.stderr.write(`${errorLine("runs", error)}\n`);
        process.exitCode = 1;
      }
    });

  runs
    .command("get")
    .description("print a run's envelope (outputs, metrics, totals) as indented JSON")
    .argument("<run_id>", "the run id")
    .option("--orchestrator <url>", ORCHESTRATOR_HELP)
    .option("--token <token>", TOKEN_HELP)
    .action(async (runId: string, flags: { orchestrator?: string; token?: string }, command: Command) => {
      // `--orchestrator` (or `--token`) given before `get` lands on the parent command.
      const parent = command.parent?.opts() as RunsFlags | undefined;
      const client = clientFor(flags.orchestrator ?? parent?.orchestrator, process.env, flags.token ?? parent?.token);
      try {
        process.stdout.write(`${JSON.stringify(await client.envelope(runId), null, 2)}\n`);
      } catch (error) {
        process.stderr.write(`${errorLine("runs get", error)}\n`);
        process.exitCode = 1;
      }
    });
}
