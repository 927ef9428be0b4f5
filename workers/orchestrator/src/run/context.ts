// The seam between a run and its step handlers: everything a handler may do to
// the run. Handlers depend on this interface only, never on the Durable Object.

import type { CompiledStep } from "../../../../shared/bundle.ts";
import type { RunEventType } from "../../../../shared/contracts/events.ts";
import type { InvokeRequest } from "../../../../shared/contracts/runtime.ts";
import type { ExpressionScope } from "./expression-scope.ts";
import type { ChildResult, StartRun } from "./model.ts";
import type { FailureDetails, StepOutcome } from "./outcome.ts";
import type { RunState } from "./run-state.ts";

/** Another run's Durable Object, as a run calls it (its sub-runs, or its parent). */
export interface ChildRun {
  start(input: StartRun): Promise<unknown>;
  /** Stops the run: it ends `failed` (its parent failed) or `cancelled` (its parent was cancelled). */
  cancel(reason: string, status?: "failed" | "cancelled"): Promise<unknown>;
  childEvent(stepId: string, event: { type: RunEventType; run_id: string; step_id: string; data: Record<string, unknown> }): Promise<unknown>;
  childFinished(result: ChildResult): Promise<unknown>;
}

/**
 * The run state as a handler sees it: read the run, its steps and items, and
 * record changes, which the next commit writes. Committing, loading and
 * mirroring are not a handler's business.
 */
export type RunStateAccess = Pick<
  RunState,
  | "run"
  | "workflow"
  | "projectVersion"
  | "subWorkflow"
  | "subRunVersion"
  | "stepState"
  | "stepStates"
  | "item"
  | "touchStep"
  | "persistStep"
  | "putItem"
  | "putApproval"
  | "readCheckpoint"
  | "writeCheckpoint"
  | "scrubber"
>;

export interface RunContext {
  /** The run, its steps and items; changes made through it are written by the next commit. */
  readonly state: RunStateAccess;
  /** What expressions and value sources see. */
  readonly scope: ExpressionScope;
  /** The gateway binding: its `/egress` endpoint is the only way out for webhooks. */
  readonly gateway: Fetcher;
  /** Applies a step's outcome (complete, skip, fail, halt for a human). */
  settle(step: CompiledStep, outcome: StepOutcome): void;
  /** Fails a step, and with it the run. */
  failStep(stepId: string, error: string, details?: FailureDetails): void;
  /** A reviewer approved a needs_human step: it completes and the run goes on. */
  resumeAfterHuman(stepId: string): void;
  event(type: RunEventType, stepId?: string, data?: Record<string, unknown>): void;
  /** Writes every change to storage (then D1) before the caller acts on it. */
  commit(): Promise<void>;
  /** Starts whatever became ready, commits, and finishes the run when it ended. */
  advance(): Promise<void>;
  /** Sends an agent invocation to the runtime; returns an error text when it was not accepted. */
  dispatch(request: InvokeRequest): Promise<string | null>;
  /** `dispatch` for several invocations in one call to the runtime: an error text or null for each, in order. */
  dispatchMany(requests: InvokeRequest[]): Promise<Array<string | null>>;
  childRun(runId: string): ChildRun;
  /** Work that finishes after the current request (a webhook reply); its failure is logged. */
  keepAlive(work: Promise<unknown>): void;
  /** Work whose promise lives in this instance; after an eviction the set is empty and the alarm redoes it. */
  markInFlight(key: string): void;
  clearInFlight(key: string): void;
  isInFlight(key: string): boolean;
  heartbeatTimeoutMs(): number;
}
