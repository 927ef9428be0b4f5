// A page of a fanout step's items, as `GET /runs/{id}/steps/{step}/items` answers it:
// the orchestrator builds it and the run viewer reads it.
import type { StepMetrics } from "./metrics.ts";
import type { StepCall } from "./runtime.ts";

/** Where one item stands: waiting for a slot, dispatched, answered, or failed. */
export type ItemStatus = "pending" | "running" | "ok" | "failed";

/** One item as the API shows it. */
export interface ItemView {
  index: number;
  status: ItemStatus;
  output?: Record<string, unknown>;
  error?: string;
  metrics?: StepMetrics;
  /** Asked for with `calls=true`: the item's LLM and tool calls (what `ktsu replay` answers it from). */
  calls?: StepCall[];
}

export interface ItemPage {
  step_id: string;
  /** Items of the fanout (0 before it started). */
  total: number;
  items: ItemView[];
  /** Pass as `cursor` for the next page; null after the last item. */
  next_cursor: string | null;
}
