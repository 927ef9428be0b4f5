// The API's shapes, as the viewer reads them.
import type { BudgetReport } from "../../shared/contracts/gateway.ts";
import type { ApprovalRecord, RunEvent, RunRecord, StepRecord } from "../../shared/contracts/records.ts";

export type { ApprovalRecord, RunEvent, RunRecord, StepRecord };

/** A step as `GET /runs/:id` shows it: suspended steps carry their open approval. */
export type StepView = StepRecord & { pending_approval?: ApprovalRecord | null };

export type { GraphNode, WorkflowGraph, WorkflowSummary } from "../../shared/contracts/workflows.ts";

/** `budget` of `GET /runs/:id/envelope` (the gateway's breaker), when it knows the run. */
export type Budget = Pick<BudgetReport, "budget_usd" | "spent_usd" | "calls" | "by_step">;

export const RUN_STATUSES = ["running", "complete", "failed", "needs_human", "cancelled"] as const;
