// A run's clock is its Durable Object's alarm: the one timer that survives an
// eviction. It wakes the run at the earliest deadline (step timeouts, heartbeat
// deadlines, approval timeouts), every few seconds while work runs (so an
// evicted object resumes its lost work), and soon again while D1 or the parent
// run still has to hear of a change.

import type { CompiledStep } from "../../../../shared/bundle.ts";
import type { StepState } from "./model.ts";
import type { RunState } from "./run-state.ts";

/** How often a run with work in flight re-checks itself, so an evicted object resumes. */
export const WATCHDOG_MS = 10_000;
/** How soon an undelivered D1 mirror or parent notification is retried. */
export const RETRY_MS = 1000;

/** The alarm calls of the Durable Object storage. */
export interface AlarmStorage {
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** The earliest moment the run must wake up, or null when nothing is due. */
export function nextWakeUp(state: RunState, at: number): number | null {
  const run = state.run;
  let next = Infinity;
  let working = false;
  for (const step of state.stepStates().values()) {
    if (step.status === "running") {
      working = true;
      if (step.deadline_at) next = Math.min(next, step.deadline_at);
      if (step.heartbeat_deadline_at) next = Math.min(next, step.heartbeat_deadline_at);
    }
    const approval = step.approval;
    if (approval?.status === "pending" && approval.timeout_at) next = Math.min(next, approval.timeout_at);
  }
  // Items a run that ended left running are never checked again: their deadlines wake nothing.
  for (const item of state.ended() ? [] : state.runningItems()) {
    if (item.status === "running" && item.heartbeat_deadline_at) next = Math.min(next, item.heartbeat_deadline_at);
  }
  if (working) next = Math.min(next, at + WATCHDOG_MS);
  const parentWaits = run.status !== "running" && run.status !== "needs_human" && run.parent && !run.parent_notified;
  if (parentWaits || state.mirrorPending()) next = Math.min(next, at + RETRY_MS);
  return Number.isFinite(next) ? next : null;
}

/** Keeps the alarm at the run's next wake-up, reading the alarm from storage only once per instance. */
export class Clock {
  private readonly alarms: AlarmStorage;
  private readonly state: RunState;
  /** The alarm as last set by this instance; undefined until read from storage. */
  private alarmAt: number | null | undefined;

  constructor(alarms: AlarmStorage, state: RunState) {
    this.alarms = alarms;
    this.state = state;
  }

  /** Moves the alarm to the next wake-up when that is earlier (or the alarm is gone or past). */
  async schedule(): Promise<void> {
    const at = Date.now();
    const next = nextWakeUp(this.state, at);
    if (this.alarmAt === undefined) this.alarmAt = await this.alarms.getAlarm();
    if (next === null) {
      if (this.alarmAt !== null) await this.alarms.deleteAlarm();
      this.alarmAt = null;
      return;
    }
    const current = this.alarmAt;
    if (current === null || current > next || current < at) {
      await this.alarms.setAlarm(next);
      this.alarmAt = next;
    }
  }

  /** Wakes the run again soon, whatever else is scheduled (a retry after a failure). */
  async retrySoon(): Promise<void> {
    await this.alarms.setAlarm(Date.now() + RETRY_MS);
    this.alarmAt = undefined;
  }

  /** The alarm has fired: none is set any more. */
  fired(): void {
    this.alarmAt = null;
  }

  /** Sets an alarm for now when none is set (a lost alarm); returns whether it did. */
  async rearmIfLost(): Promise<boolean> {
    if ((await this.alarms.getAlarm()) !== null) return false;
    await this.alarms.setAlarm(Date.now());
    this.alarmAt = undefined;
    return true;
  }
}

/** What the alarm asks of the step handlers and transitions. */
export interface AlarmWork {
  /** A pending approval's timeout has passed. */
  expireApproval(stepId: string): Promise<void>;
  failStep(stepId: string, error: string): void;
  /** Heartbeats stopped: re-dispatch from a newer checkpoint, or return the step's error. */
  checkLiveness(step: CompiledStep, state: StepState, at: number, timeoutMs: number): Promise<string | null>;
  /** Restarts work whose promise was lost with an evicted instance. */
  resumeLost(step: CompiledStep, state: StepState): Promise<void>;
}

/**
 * The alarm's checks, step by step in pipeline order: an expired approval
 * times out; a running step past its deadline fails; one whose heartbeats
 * stopped is re-dispatched or fails; and lost work is restarted.
 */
export async function checkSteps(state: RunState, work: AlarmWork, at: number, heartbeatTimeoutMs: number): Promise<void> {
  for (const step of state.workflow.pipeline) {
    const current = state.stepStates().get(step.id);
    if (!current) continue;
    if (current.approval?.status === "pending" && current.approval.timeout_at && at >= current.approval.timeout_at) {
      await work.expireApproval(step.id);
      continue;
    }
    if (current.status !== "running") continue;
    if (current.deadline_at && at >= current.deadline_at) {
      work.failStep(step.id, `step "${step.id}" timed out after model_policy.timeout_s = ${state.run.timeout_s}s`);
      continue;
    }
    const lost = await work.checkLiveness(step, current, at, heartbeatTimeoutMs);
    if (lost) {
      work.failStep(step.id, lost);
      continue;
    }
    await work.resumeLost(step, current);
  }
}
