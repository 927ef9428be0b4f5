// `ktsu approvals`: pending approvals; `ktsu approve RUN STEP` / `ktsu reject RUN STEP`:
// decide one (POST /runs/:run/steps/:step/approval/decide).

import type { Command } from "commander";
import type { ApprovalRecord } from "../../../shared/contracts/records.ts";
import { ApiError, TOKEN_HELP, clientFor, errorLine, type OrchestratorClient, type Decision } from "../client/orchestrator.ts";
import { compactJson, localTime, renderTable } from "../render/format.ts";
import { colorEnabled, styleFor } from "../render/style.ts";

const ORCHESTRATOR_HELP = "orchestrator URL (env: KTSU_ORCHESTRATOR_URL; default http://localhost:5050)";

export function approvalsTable(approvals: readonly ApprovalRecord[], argumentsWidth = 60): string {
  const rows = approvals.map((a) => [a.run_id, a.step_id, a.tool_name, compactJson(a.arguments, argumentsWidth), localTime(a.created_at)]);
  return renderTable(["RUN ID", "STEP", "TOOL", "ARGUMENTS", "CREATED"], rows);
}

/** The error line of a refused decision, with the orchestrator's answer explained. */
export async function decisionError(client: OrchestratorClient, verb: "approve" | "reject", runId: string, stepId: string, error: unknown): Promise<string> {
  if (!(error instanceof ApiError)) return errorLine(verb, error);
  if (error.status === 404) {
    return `${verb}: approval not found for step "${stepId}" of run ${runId} (status 404); ktsu approvals lists the pending ones`;
  }
  if (error.status === 409) {
    let state = "";
    try {
      const approval = await client.approval(runId, stepId);
      state = `: it is ${approval.status}${approval.decided_at ? ` since ${localTime(approval.decided_at)}` : ""}`;
    } catch {
      // keep the short form
    }
    return `${verb}: the approval of step "${stepId}" in run ${runId} was already decided${state} (status 409)`;
  }
  return errorLine(verb, error);
}

function decideCommand(program: Command, verb: "approve" | "reject", decision: Decision): void {
  program
    .command(verb)
    .description(`${verb} the pending approval of a step (a gated tool call or a needs_human review)`)
    .argument("<run_id>", "the run id")
    .argument("<step_id>", "the step id")
    .option("--orchestrator <url>", ORCHESTRATOR_HELP)
    .option("--token <token>", TOKEN_HELP)
    .action(async (runId: string, stepId: string, flags: { orchestrator?: string; token?: string }) => {
      const client = clientFor(flags.orchestrator, process.env, flags.token);
      try {
        await client.decide(runId, stepId, decision);
      } catch (error) {
        process.stderr.write(`${await decisionError(client, verb, runId, stepId, error)}\n`);
        process.exitCode = 1;
        return;
      }
      const style = styleFor(colorEnabled(process.stdout));
      process.stdout.write(`${style.paint(decision === "approved" ? "green" : "red", decision)}: run ${runId} step ${stepId}\n`);
    });
}

export function register(program: Command): void {
  program
    .command("approvals")
    .description("list the approvals waiting for a decision, across runs")
    .option("--json", "print them as JSON instead of a table")
    .option("--orchestrator <url>", ORCHESTRATOR_HELP)
    .option("--token <token>", TOKEN_HELP)
    .action(async (flags: { orchestrator?: string; token?: string; json?: boolean }) => {
      const client = clientFor(flags.orchestrator, process.env, flags.token);
      try {
        const pending = await client.pendingApprovals();
        if (flags.json) process.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
        else if (pending.length === 0) process.stdout.write("no pending approvals\n");
        else process.stdout.write(approvalsTable(pending, process.stdout.isTTY ? Math.max(30, Math.min(100, (process.stdout.columns ?? 150) - 90)) : 60));
      } catch (error) {
        process.stderr.write(`${errorLine("approvals", error)}\n`);
        process.exitCode = 1;
      }
    });
  decideCommand(program, "approve", "approved");
  decideCommand(program, "reject", "rejected");
}
