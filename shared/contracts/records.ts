// Run, Step and Approval records as the HTTP API shows them.
import type { StepMetrics } from "./metrics.ts";
import type { RunEventType } from "./events.ts";
import type { ChatMessage } from "./runtime.ts";

export type RunStatus = "pending" | "running" | "complete" | "failed" | "needs_human";
export type StepStatus = "pending" | "running" | "complete" | "failed" | "skipped" | "pending_approval" | "needs_human";

export interface RunRecord {
  id: string;
  workflow_name: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
  completed_at?: string;
  error?: string;
  metadata?: Record<string, string>;
  payload?: Record<string, unknown>;
  /** Sub-runs only: the parent run id. */
  parent_run_id?: string;
  /** Spend of the run so far (sum of its steps), USD. */
  cost_usd?: number;
}

export interface ValidationFailure {
  /** JSON pointer into the output ("" = the whole output). */
  path: string;
  message: string;
}

/**
 * The reserved `ktsu_*` output fields that end a step by themselves (a model's output flags
 * itself), as a typed fact on the step so no consumer has to read the error text.
 */
export type ReservedSignalField = "ktsu_injection_attempt" | "ktsu_untrusted_content" | "ktsu_low_quality" | "ktsu_needs_human" | "ktsu_confidence";

/** A step stopped because the run around it ended (fail-fast, or a cancel), not because of its own result. */
export interface StepCancellation {
  /** The run status that stopped the step. */
  run_status: RunStatus;
}

export interface StepRecord {
  id: string;
  run_id: string;
  name: string;
  type: "agent" | "transform" | "webhook" | "workflow";
  status: StepStatus;
  /** Start order within the run. */
  seq: number;
  started_at?: string;
  ended_at?: string;
  error?: string;
  output?: Record<string, unknown>;
  /** The rejected output, when Air-Lock or JSON parsing refused it. */
  raw_output?: string;
  /** Air-Lock failures with the failing paths. */
  validation_errors?: ValidationFailure[];
  metrics: StepMetrics;
  reflected?: boolean;
  messages?: ChatMessage[];
  /** Set when a reserved output field failed the step or sent it to a human. */
  signal?: ReservedSignalField;
  /** Set when the run ended around the step while it was still running. */
  cancelled?: StepCancellation;
}

export interface RunEvent {
  run_id: string;
  seq: number;
  type: RunEventType;
  step_id?: string;
  data?: Record<string, unknown>;
  created_at: string;
}

export type ApprovalStatus = "pending" | "approved" | "rejected" | "timeout";

/**
 * A human decision a step waits for. A step may have several over time, one per
 * ask (the original stored one per step, so a second ask after a resume hung).
 */
export interface ApprovalRecord {
  run_id: string;
  step_id: string;
  /** 1, 2, … per step: a resumed step may ask again. */
  seq: number;
  /** The gated tool, or `ktsu_needs_human` when the step's output asked for a human. */
  tool_name: string;
  tool_use_id: string;
  arguments?: Record<string, unknown>;
  on_reject: string;
  timeout_ms: number;
  timeout_behavior: string;
  status: ApprovalStatus;
  created_at: string;
  decided_at?: string;
  partial_metrics: StepMetrics;
}

/** One settled step in the envelope. */
export interface EnvelopeStep {
  id: string;
  output: Record<string, unknown>;
  metrics: StepMetrics;
  timestamp: string;
  status?: string;
  error?: string;
}

/** `GET /runs/{id}/envelope`, plus the gateway's ledger for budgeted runs. */
export interface Envelope {
  run_id: string;
  workflow: string;
  status?: string;
  error?: string;
  payload?: Record<string, unknown>;
  steps: EnvelopeStep[] | null;
  totals: { duration_ms: number; tokens_in: number; tokens_out: number; cost_usd: number; llm_calls: number; tool_calls: number };
}
