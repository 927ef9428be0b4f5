// The API's shapes, as the viewer reads them.
import type { ApprovalRecord, RunEvent, RunRecord, StepRecord } from "../../shared/contracts/records.ts";

export type { ApprovalRecord, RunEvent, RunRecord, StepRecord };

/** A step as `GET /runs/:id` shows it: suspended steps carry their open approval. */
export type StepView = StepRecord & { pending_approval?: ApprovalRecord | null };

/** `GET /workflows/:name/graph` (workers/orchestrator/src/api/ui-routes.ts). */
export interface GraphNode {
  id: string;
  type: StepRecord["type"];
  dependencies: string[];
  depends_on: string[];
  condition?: string;
  detail: string;
  for_each?: string;
  on?: string;
  has_output_schema: boolean;
}

export interface WorkflowGraph {
  name: string;
  key: string;
  description?: string;
  visibility: "root" | "sub-workflow";
  nodes: GraphNode[];
}

export interface WorkflowSummary {
  name: string;
  key: string;
  visibility: "root" | "sub-workflow";
  description?: string;
  steps: number;
}

/** `budget` of `GET /runs/:id/envelope` (the gateway's breaker), when it knows the run. */
export interface Budget {
  budget_usd: number;
  spent_usd: number;
  calls: number;
  by_step: Record<string, number>;
}

export const RUN_STATUSES = ["running", "complete", "failed", "needs_human"] as const;
