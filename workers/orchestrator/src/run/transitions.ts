// How a run and its steps change status: a step's outcome settles it
// (complete, skipped, failed, or halted for a human), a failure ends the run
// and cancels what still runs (fail-fast), and a reviewer's approval resumes a
// halted run. Every change goes through the run state, which records it for
// the next commit. Secret values are masked here, where a value enters the run's
// state (outputs, errors, a sub-run's result), so what is kept in memory is what
// is stored, and storage never holds a secret unmasked.

import type { CompiledStep } from "../../../../shared/bundle.ts";
import type { RunEventType } from "../../../../shared/contracts/events.ts";
import type { ReservedSignalField } from "../../../../shared/contracts/records.ts";
import type { StepHostAddress } from "../../../../shared/contracts/step-host.ts";
import type { StepState } from "./model.ts";
import type { FailureDetails, OutputVerdict, StepOutcome } from "./outcome.ts";
import { now } from "./now.ts";
import type { RunState } from "./run-state.ts";
import { runningHosts } from "./running-hosts.ts";

export interface TransitionHooks {
  /** What a step's output means (reserved fields, output schema). */
  judge(step: CompiledStep, output: Record<string, unknown> | null): OutputVerdict;
  /** A sub-run's result for its parent, read when the sub-run completes. */
  subRunResult(): Record<string, unknown>;
  /** The runtime hosts of the work a failed or cancelled run stops: told to stop once the end is stored. */
  hostsStopped(hosts: StepHostAddress[]): void;
}

export type EndStatus = "complete" | "failed" | "needs_human" | "cancelled";

export class Transitions {
  private readonly state: RunState;
  private readonly hooks: TransitionHooks;

  constructor(state: RunState, hooks: TransitionHooks) {
    this.state = state;
    this.hooks = hooks;
  }

  /** Marks a step started: its start order, its deadline (model_policy.timeout_s), and the event. */
  startStep(step: CompiledStep): StepState {
    const run = this.state.run;
    const state = this.state.stepState(step.id);
    state.status = "running";
    state.seq = run.next_seq++;
    state.started_at = now();
    if (run.timeout_s > 0) state.deadline_at = Date.now() + run.timeout_s * 1000;
    this.state.persistRun();
    this.state.touchStep(state);
    this.state.event("step_started", step.id, { type: step.type });
    return state;
  }

  /**
   * Applies a step's outcome: its metrics, then its output's meaning (skip,
   * reserved fields, output schema), then the step's new status. A result for a
   * step that is no longer running (it was cancelled by fail-fast) is ignored.
   */
  settle(step: CompiledStep, outcome: StepOutcome): void {
    const state = this.state.stepState(step.id);
    if (state.status !== "running" && state.status !== "pending_approval") return;
    if (outcome.metrics) state.metrics = outcome.metrics;
    if (outcome.kind === "failed") {
      this.failStep(step.id, outcome.error, outcome.details);
      return;
    }
    if (outcome.kind === "skipped") {
      this.skipStep(state, outcome.context);
      return;
    }
    if (outcome.kind === "waiting") return;
    const verdict = this.hooks.judge(step, outcome.output);
    switch (verdict.kind) {
      case "skipped":
        this.skipStep(state, verdict.context);
        return;
      case "needs_human":
        this.haltForHuman(step.id, verdict.output, verdict.signal);
        return;
      case "failed":
        this.failStep(step.id, verdict.error, verdict.details, verdict.signal);
        return;
      case "complete": {
        // Secret values never enter the run's state through an output (downstream steps see them masked too).
        const output = this.state.scrubber().value(verdict.output);
        state.status = "complete";
        state.output = output;
        state.context = output;
        if (outcome.paged) state.paged = outcome.paged;
        state.ended_at = now();
        if (step.type === "agent" && outcome.reflected !== undefined) state.reflected = outcome.reflected;
        this.state.touchStep(state);
        this.state.event("step_completed", step.id, stepSummary(state));
      }
    }
  }

  skipStep(state: StepState, context: unknown): void {
    state.status = "skipped";
    state.context = this.state.scrubber().value(context);
    state.ended_at = now();
    this.state.touchStep(state);
    this.state.event("step_skipped", state.id, stepSummary(state));
  }

  /** Fail-fast: the step and the run fail; running steps are cancelled and their results ignored. */
  failStep(stepId: string, error: string, details?: FailureDetails, signal?: ReservedSignalField): void {
    const state = this.state.stepState(stepId);
    const scrubbed = this.state.scrubber().text(error);
    state.status = "failed";
    state.error = scrubbed;
    state.ended_at = now();
    const scrub = this.state.scrubber();
    if (details?.raw_output !== undefined) state.raw_output = scrub.text(details.raw_output);
    if (details?.validation_errors) state.validation_errors = scrub.value(details.validation_errors);
    if (signal) state.signal = signal;
    this.state.touchStep(state);
    this.state.event("step_failed", stepId, stepSummary(state));
    this.state.run.failed_step = stepId;
    this.endRun("failed", scrubbed);
  }

  /**
   * `ktsu_needs_human`: the step holds its output and the run halts (no new step
   * starts) until a reviewer decides through the approval routes.
   */
  haltForHuman(stepId: string, heldOutput: Record<string, unknown>, signal: ReservedSignalField = "ktsu_needs_human"): void {
    const state = this.state.stepState(stepId);
    const output = this.state.scrubber().value(heldOutput);
    state.status = "needs_human";
    state.error = "needs_human_review";
    state.held_output = output;
    state.signal = signal;
    this.state.putApproval(state, {
      run_id: this.state.run.run_id,
      step_id: stepId,
      seq: (state.approval?.seq ?? 0) + 1,
      tool_name: "ktsu_needs_human",
      tool_use_id: `${stepId}:needs_human`,
      arguments: output,
      on_reject: "fail",
      timeout_ms: 0,
      timeout_behavior: "fail",
      status: "pending",
      created_at: now(),
      partial_metrics: state.metrics,
      kind: "needs_human",
    });
    this.state.event("step_needs_human", stepId, { ...stepSummary(state), output });
    this.state.run.failed_step = stepId;
    this.endRun("needs_human", "needs_human_review");
  }

  /** A reviewer approved a needs_human step: it completes with its held output and the run goes on. */
  resumeAfterHuman(stepId: string): void {
    const state = this.state.stepState(stepId);
    state.status = "complete";
    state.output = state.held_output ?? {};
    state.context = state.output;
    delete state.error;
    delete state.held_output; // `signal` stays: the step went through a human
    state.ended_at = now();
    this.state.touchStep(state);
    this.state.event("step_completed", stepId, stepSummary(state));
    const run = this.state.run;
    run.status = "running";
    delete run.error;
    delete run.failed_step;
    this.state.touchRun();
    this.state.event("run_resumed", stepId);
  }

  /**
   * Ends the run. Complete, failed and cancelled end it for good: steps still running or
   * waiting for an approval are cancelled (their late results are ignored) and a pending
   * approval closes (`cancelled`: it can no longer be decided). A cancel also closes a
   * step halted for a human. A needs_human halt only stops new steps: running ones
   * finish, and the run can resume.
   */
  endRun(status: EndStatus, error?: string): void {
    const run = this.state.run;
    // What still runs on the runtime (another branch's agent step, a failed fanout's other items)
    // would otherwise go on until its next checkpoint is refused: its calls in flight are aborted.
    if (status === "failed" || status === "cancelled") {
      const hosts = runningHosts(this.state);
      if (hosts.length > 0) this.hooks.hostsStopped(hosts);
    }
    for (const state of status === "needs_human" ? [] : this.state.stepStates().values()) {
      const stopped = state.status === "running" || state.status === "pending_approval" || (status === "cancelled" && state.status === "needs_human");
      if (!stopped) continue;
      if (state.approval?.status === "pending") this.state.putApproval(state, { ...state.approval, status: "cancelled", decided_at: now() });
      state.status = "cancelled";
      state.error = `cancelled: the run ended (${status})`;
      state.cancelled = { run_status: status };
      state.ended_at = now();
      this.state.touchStep(state);
      this.state.event("step_cancelled", state.id);
    }
    const scrub = this.state.scrubber();
    const masked = error ? scrub.text(error) : undefined;
    run.status = status;
    if (masked) run.error = masked;
    else delete run.error;
    if (status === "complete") run.completed_at = now();
    // A sub-run's result is read from its params too, which may carry a secret of the parent's in a plain param.
    if (status === "complete" && run.parent) run.result = scrub.value(this.hooks.subRunResult());
    this.state.touchRun();
    this.state.event(END_EVENTS[status], undefined, { status, ...(masked ? { error: masked } : {}) });
  }
}

const END_EVENTS = {
  complete: "run_completed",
  failed: "run_failed",
  needs_human: "run_needs_human",
  cancelled: "run_cancelled",
} as const satisfies Record<EndStatus, RunEventType>;

function stepSummary(state: StepState): Record<string, unknown> {
  return { status: state.status, duration_ms: durationMs(state), cost_usd: state.metrics.cost_usd, ...(state.error ? { error: state.error } : {}) };
}

function durationMs(state: StepState): number {
  if (!state.started_at || !state.ended_at) return 0;
  return Date.parse(state.ended_at) - Date.parse(state.started_at);
}
