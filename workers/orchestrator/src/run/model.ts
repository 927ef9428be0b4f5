// The state a run's Durable Object keeps in its own storage. Every change is
// written there before the object acts on it, so a restarted object resumes
// from exactly this state.

import type { StepType } from "../../../../shared/bundle.ts";
import type { ItemStatus } from "../../../../shared/contracts/item-page.ts";
import type { StepMetrics } from "../../../../shared/contracts/metrics.ts";
import type { ApprovalRecord, ReservedSignalField, RunStatus, StepCancellation, StepStatus, ValidationFailure } from "../../../../shared/contracts/records.ts";
import type { ChatMessage, StepCall } from "../../../../shared/contracts/runtime.ts";
import type { RunTrace } from "../../../../shared/otel/trace-context.ts";
import type { PagedResults } from "../engine/fanout-result.ts";
import type { PinnedVersion } from "./pinned-version.ts";

/** What starts a run: a root invoke, a queue message, or a parent's workflow step. */
export interface StartRun {
  run_id: string;
  /** Key of the workflow in the project bundle. */
  workflow_key: string;
  /** `workflow_name` of the Run record: the invoke name, or the sub-workflow's YAML name. */
  workflow_name: string;
  /** Rich (typed) params: the invoke body for root runs. */
  params: Record<string, unknown>;
  /** Sub-runs: string forms of the params, for `param:NAME` in webhook URLs. */
  param_strings?: Record<string, string>;
  /** Stored on the Run record (root: the invoke body; sub-runs: the input mapping). */
  payload: Record<string, unknown>;
  metadata?: Record<string, string>;
  idempotency_key?: string;
  /** Sub-runs: who to tell when this run ends. */
  parent?: { run_id: string; step_id: string };
  /** The root run (budget accounting and env scope). */
  root_run_id: string;
  /** Root runs see `env`; sub-workflows never do: a sub-workflow gets only what its parent passes as params. */
  env_enabled: boolean;
  /** Webhook steps run (root) or are suppressed (sub-workflows without the dual opt-in). */
  webhooks_enabled: boolean;
  /** The root workflow's `model_policy`, inherited by sub-runs. */
  timeout_s: number;
  cost_budget_usd: number;
  /** Secret values to mask (secret params of the root run), carried to sub-runs. */
  secret_params: string[];
  /** Sub-runs: the project version their parent started on (stored apart from the run's meta). */
  pinned?: PinnedVersion;
  /** The trace the run's spans belong to (absent on runs started before traces were kept). */
  trace?: RunTrace;
}

export interface RunMeta extends StartRun {
  status: RunStatus;
  error?: string;
  /** The step whose failure ended the run. */
  failed_step?: string;
  created_at: string;
  updated_at: string;
  completed_at?: string;
  /** Next step start number (steps are listed in start order). */
  next_seq: number;
  /** Last event sequence number written. */
  event_seq: number;
  /** Sub-runs: whether the parent has acknowledged this run's end. */
  parent_notified?: boolean;
  /** Sub-runs: the result handed to the parent (`output.map`, else the last completed step's output). */
  result?: Record<string, unknown>;
  /**
   * When the run has secret params: `params`, `param_strings`, `payload` and
   * `secret_params`, encrypted with KTSU_STATE_KEY. Storage then holds only
   * masked copies of those fields; memory holds the real ones.
   */
  sealed?: string;
}

/** The fields of a run that may carry secret values. */
export type SealedFields = Pick<RunMeta, "params" | "param_strings" | "payload" | "secret_params">;

export type StepStatusInternal = StepStatus | "cancelled";

export interface FanoutState {
  total: number;
  concurrency: number;
  max_failures: number;
  /** Next item index to dispatch. */
  next: number;
  /** Items committed as running, including those waiting on their host behind another (`queued`). */
  running: number;
  /** Running items that wait on their host behind the slot's running item (not counted against `concurrency`). */
  queued?: number;
  /** Items whose host never showed it started them (see ItemState.start_unconfirmed) and went silent: dispatched again first. */
  redispatch?: number[];
  finished: number;
  /** Sum of the finished items' entry sizes in `results` (their `bytes`). */
  bytes?: number;
}

export interface StepState {
  id: string;
  type: StepType;
  status: StepStatusInternal;
  /** Start order; -1 until the step starts. */
  seq: number;
  started_at?: string;
  ended_at?: string;
  error?: string;
  /** Stored output (complete steps only). */
  output?: Record<string, unknown>;
  /** What downstream expressions see for this step. */
  context?: unknown;
  raw_output?: string;
  validation_errors?: ValidationFailure[];
  metrics: StepMetrics;
  reflected?: boolean;
  messages?: ChatMessage[];
  /** Agent steps: the LLM and tool calls of every attempt, with their times. */
  calls?: StepCall[];
  /** Dispatch attempt; callbacks for older attempts are ignored. */
  attempt: number;
  /** Epoch ms: the step fails when still running (model_policy.timeout_s). */
  deadline_at?: number;
  /** Epoch ms: agent steps fail when no heartbeat arrived by then. */
  heartbeat_deadline_at?: number;
  fanout?: FanoutState;
  /** A fanout whose results are too large for this record: they are read from its items. */
  paged?: PagedResults;
  /** Metrics of the step's earlier legs (before approvals, before re-dispatches), added to every result. */
  partial_metrics?: StepMetrics;
  /** The step's current (newest) approval. */
  approval?: ApprovalState;
  /** The last turn the runtime checkpointed (its messages live under `checkpoint:<step>`). */
  checkpoint_turn?: number;
  /** The checkpoint turn the current dispatch resumed from. */
  dispatched_turn?: number;
  /** Re-dispatches after a lost runtime. */
  redispatches?: number;
  /** Set once the step was dispatched again after an attempt lost before its first checkpoint. */
  redispatched_unrecorded?: boolean;
  /** needs_human: the cleaned output waiting for a reviewer. */
  held_output?: Record<string, unknown>;
  /** The reserved output field that failed the step or sent it to a human. */
  signal?: ReservedSignalField;
  /** Set when the run ended around the step while it was still running. */
  cancelled?: StepCancellation;
}

export interface ApprovalState extends ApprovalRecord {
  kind: "tool" | "needs_human";
  /** Epoch ms when a pending approval times out; absent = never. */
  timeout_at?: number;
}

/** A runtime checkpoint: the conversation after a turn (or at an approval). */
export interface Checkpoint {
  attempt: number;
  turn: number;
  messages: ChatMessage[];
  /** Usage of the invocation that wrote it, so far. */
  metrics?: StepMetrics;
}

export function checkpointKey(stepId: string): string {
  return `checkpoint:${stepId}`;
}

export interface ItemState {
  index: number;
  status: ItemStatus;
  item: unknown;
  output?: Record<string, unknown>;
  error?: string;
  metrics?: StepMetrics;
  /** The item's LLM and tool calls with their times (its spans in the run's trace). */
  calls?: StepCall[];
  /** Once finished: the serialized size of this item's entry in the step's `results`. */
  bytes?: number;
  attempt: number;
  heartbeat_deadline_at?: number;
  /** The host the item was handed to with another item's result (run/handoff.ts); absent, its own slot's host. */
  host_key?: string;
  /** Handed to wait on its host behind this item (same slot); it runs once that one has a result. No heartbeat deadline until then. */
  queued_after?: number;
  /** The item waiting behind this one on its host (see `queued_after`). */
  queued_next?: number;
  /**
   * It waited behind an item whose result did not say the host started it (`started_next`): the
   * host may have lost it (an eviction) or started it just after reporting. Cleared by a heartbeat;
   * if its heartbeat deadline passes first, it is dispatched again with a new attempt, not failed.
   */
  start_unconfirmed?: boolean;
}

export const ZERO_METRICS: StepMetrics = { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 };

export const TERMINAL_STEP: ReadonlySet<StepStatusInternal> = new Set(["complete", "failed", "skipped", "cancelled", "needs_human"]);
/** Statuses whose output downstream steps may read. */
export const SETTLED_OK: ReadonlySet<StepStatusInternal> = new Set(["complete", "skipped"]);

/** Storage key of a run event: zero-padded so a key-ordered list is sequence order. */
export function eventKey(seq: number): string {
  return `event:${String(seq).padStart(8, "0")}`;
}

/** What a sub-run tells its parent when it ends. */
export interface ChildResult {
  step_id: string;
  status: "complete" | "failed";
  output?: Record<string, unknown>;
  error?: string;
  metrics: StepMetrics;
}

export function itemKey(stepId: string, index: number): string {
  return `item:${stepId}:${String(index).padStart(6, "0")}`;
}
