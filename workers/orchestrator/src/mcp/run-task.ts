import type { Task } from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalRecord, RunRecord } from "../../../../shared/contracts/records.ts";
import type { OrchestratorEnv } from "../env.ts";
import { openStore } from "../store/open-store.ts";
import { describeApproval, howToDecide } from "./tool-result.ts";

/** How often a client should poll `tasks/get`. */
const POLL_INTERVAL_MS = 1000;

/** The first pending approval of the run or of one of its sub-runs (their ids are `run/step`). */
function waitingIn(runId: string, approvals: ApprovalRecord[]): ApprovalRecord | undefined {
  return approvals.find((a) => a.run_id === runId || a.run_id.startsWith(`${runId}/`));
}

function taskOf(run: Pick<RunRecord, "id" | "created_at" | "updated_at">, status: Task["status"], statusMessage?: string): Task {
  return {
    taskId: run.id,
    status,
    ...(statusMessage ? { statusMessage } : {}),
    createdAt: run.created_at,
    lastUpdatedAt: run.updated_at,
    // The run is kept as long as the project's retention keeps runs, not by the task's clock.
    ttl: null,
    pollInterval: POLL_INTERVAL_MS,
  };
}

/** The task a run just started is. */
export function startedTask(runId: string): Task {
  const now = new Date().toISOString();
  return taskOf({ id: runId, created_at: now, updated_at: now }, "working");
}

/**
 * The task that is this run: its id is the run id and its status the run's, read from the
 * Store, so it outlives the session and the object that served it. A run waiting on a person
 * is `input_required`, its message saying what waits and how to decide it.
 */
export async function runTask(env: OrchestratorEnv, runId: string): Promise<Task | null> {
  const store = openStore(env);
  const run = await store.getRun(runId);
  if (!run || run.parent_run_id) return null;
  switch (run.status) {
    case "complete":
      return taskOf(run, "completed");
    case "failed":
      return taskOf(run, "failed", run.error);
    case "cancelled":
      return taskOf(run, "cancelled", run.error);
    default: {
      const waiting = waitingIn(run.id, await store.pendingApprovals());
      if (!waiting) return taskOf(run, run.status === "needs_human" ? "input_required" : "working");
      const approval = { run_id: waiting.run_id, step_id: waiting.step_id, tool_name: waiting.tool_name, arguments: waiting.arguments };
      return taskOf(run, "input_required", `waiting for approval: ${describeApproval(approval)}. ${howToDecide(approval)}`);
    }
  }
}
