// The run engine: wires the run state, its transitions, its clock and the step
// handlers together, and is the `RunContext` the handlers act through. It
// knows nothing of the Durable Object class: the object hands it storage,
// the Store, the bindings it needs and a way to reach other runs.

import type { CompiledStep } from "../../../../shared/bundle.ts";
import type { RunEventType } from "../../../../shared/contracts/events.ts";
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from "../../../../shared/contracts/heartbeat.ts";
import type { RunEvent } from "../../../../shared/contracts/records.ts";
import type { InvokeRequest } from "../../../../shared/contracts/runtime.ts";
import type { InvokeAnswer, RuntimeRpc } from "../../../../shared/contracts/service-rpc.ts";
import type { StepHostAddress } from "../../../../shared/contracts/step-host.ts";
import { type AlarmStorage, checkSteps, Clock } from "./clock.ts";
import type { ChildRun, RunContext } from "./context.ts";
import { ExpressionScope } from "./expression-scope.ts";
import type { ChildResult } from "./model.ts";
import type { FailureDetails, OutputVerdict, StepOutcome } from "./outcome.ts";
import { RunState, type RunStateDeps } from "./run-state.ts";
import { allSettled, readySteps } from "./scheduler.ts";
import { expireApproval } from "./steps/approvals.ts";
import { checkLiveness, resumeLost, startStepWork } from "./steps/step-kinds.ts";
import { cancelChildren, subRunResult, subRunResultError, totalMetrics } from "./steps/sub-workflow.ts";
import { stopHosts } from "./stop-hosts.ts";
import { Transitions, type EndStatus } from "./transitions.ts";
import { retryDurableObjectCall } from "../../../../shared/util/durable-object-retries.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";

export interface RunEngineDeps extends Omit<RunStateDeps, "forward"> {
  alarms: AlarmStorage;
  /** The runtime binding: agent invocations are its `invoke` RPC method. */
  runtime: Fetcher & RuntimeRpc;
  gateway: Fetcher;
  childRun(runId: string): ChildRun;
  /** What a step's output means (reserved fields, output schema). */
  judge(step: CompiledStep, output: Record<string, unknown> | null): OutputVerdict;
  /** KTSU_HEARTBEAT_TIMEOUT_MS as configured (any value; invalid ones give the default). */
  heartbeatTimeout: unknown;
  /** Called with the events each commit stored (live event streams). */
  onCommitted(events: RunEvent[], ended: boolean): void;
}

export class RunEngine implements RunContext {
  readonly state: RunState;
  readonly scope: ExpressionScope;
  readonly gateway: Fetcher;
  readonly clock: Clock;
  private readonly transitions: Transitions;
  private readonly deps: RunEngineDeps;
  /** Work whose promise lives in this instance; after an eviction it is empty and the alarm re-runs it. */
  private readonly inFlight = new Set<string>();
  /** Hosts of work the run's end stopped, told to stop once that end is stored (best effort: a missed one stops at its next checkpoint). */
  private readonly hostsToStop: StepHostAddress[] = [];

  constructor(deps: RunEngineDeps) {
    this.deps = deps;
    this.gateway = deps.gateway;
    this.state = new RunState({ ...deps, forward: (type, stepId, data) => this.forwardToParent(type, stepId, data) });
    this.scope = new ExpressionScope(this.state, deps.envValue);
    this.transitions = new Transitions(this.state, {
      judge: deps.judge,
      subRunResult: () => subRunResult(this),
      hostsStopped: (hosts) => this.hostsToStop.push(...hosts),
    });
    this.clock = new Clock(deps.alarms, this.state);
  }

  // ------------------------------------------------------------ RunContext

  settle(step: CompiledStep, outcome: StepOutcome): void {
    this.transitions.settle(step, outcome);
  }

  failStep(stepId: string, error: string, details?: FailureDetails): void {
    this.transitions.failStep(stepId, error, details);
  }

  resumeAfterHuman(stepId: string): void {
    this.transitions.resumeAfterHuman(stepId);
  }

  endRun(status: EndStatus, error?: string): void {
    this.transitions.endRun(status, error);
  }

  event(type: RunEventType, stepId?: string, data?: Record<string, unknown>): void {
    this.state.event(type, stepId, data);
  }

  async commit(): Promise<void> {
    const events = await this.state.commit();
    if (events.length > 0) this.deps.onCommitted(events, this.state.ended());
    await this.clock.schedule();
  }

  async dispatch(request: InvokeRequest): Promise<string | null> {
    try {
      return dispatchFailure(await this.deps.runtime.invoke(request));
    } catch (err) {
      return `dispatch to runtime: ${errorMessage(err)}`;
    }
  }

  async dispatchMany(requests: InvokeRequest[]): Promise<Array<string | null>> {
    if (requests.length === 1) return [await this.dispatch(requests[0]!)];
    try {
      return (await this.deps.runtime.invokeMany(requests)).map(dispatchFailure);
    } catch (err) {
      return requests.map(() => `dispatch to runtime: ${errorMessage(err)}`);
    }
  }

  childRun(runId: string): ChildRun {
    return this.deps.childRun(runId);
  }

  /**
   * Work that finishes after the current request (webhook replies). A Durable
   * Object stays in memory while it has pending I/O, so nothing needs to hold it
   * open; if it is evicted anyway, the alarm's watchdog redoes the work.
   */
  keepAlive(work: Promise<unknown>): void {
    work.catch((err: unknown) => console.error(`run ${this.state.exists ? this.state.run.run_id : "?"}: background work failed`, err));
  }

  markInFlight(key: string): void {
    this.inFlight.add(key);
  }

  clearInFlight(key: string): void {
    this.inFlight.delete(key);
  }

  isInFlight(key: string): boolean {
    return this.inFlight.has(key);
  }

  heartbeatTimeoutMs(): number {
    const configured = Number(this.deps.heartbeatTimeout);
    return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_HEARTBEAT_TIMEOUT_MS;
  }

  // ------------------------------------------------------------ driving the run

  /**
   * Starts every ready step, repeating while synchronous steps (transforms,
   * skips) settle, until the run waits on something outside or ends.
   */
  async advance(): Promise<void> {
    const pipeline = this.state.workflow.pipeline;
    while (this.state.run.status === "running") {
      const ready = readySteps(pipeline, this.state.stepStates());
      if (ready.length === 0) break;
      await Promise.all(ready.map((step) => this.startStep(step)));
    }
    if (this.state.run.status === "running" && allSettled(pipeline, this.state.stepStates())) {
      const unsendable = this.state.run.parent ? subRunResultError(this) : null;
      if (unsendable) this.transitions.endRun("failed", unsendable);
      else this.transitions.endRun("complete");
    }
    await this.commit();
    if (this.state.run.status !== "running") await this.afterEnd();
  }

  private async startStep(step: CompiledStep): Promise<void> {
    const state = this.transitions.startStep(step);
    const outcome = await startStepWork(this, step, state);
    if (outcome) this.settle(step, outcome);
  }

  /**
   * After the run ended: stop children (failed runs) and tell the parent (sub-runs),
   * retried by the alarm until acknowledged. A needs_human halt is not an end:
   * the parent keeps waiting for the resumed run.
   */
  private async afterEnd(): Promise<void> {
    const run = this.state.run;
    if (run.status === "needs_human") return;
    if (this.hostsToStop.length > 0) await stopHosts(this.deps.runtime, run.run_id, this.hostsToStop.splice(0));
    if (run.status === "failed" || run.status === "cancelled") await cancelChildren(this);
    if (!run.parent || run.parent_notified) return;
    const metrics = totalMetrics(this);
    const result: ChildResult =
      run.status === "complete"
        ? { step_id: run.parent.step_id, status: "complete", output: run.result ?? {}, metrics }
        : { step_id: run.parent.step_id, status: "failed", error: run.error ?? "sub-workflow failed", metrics };
    try {
      // The parent ignores a second report for a step no longer running, so a transient failure is retried.
      const parentId = run.parent.run_id;
      await retryDurableObjectCall(() => this.childRun(parentId).childFinished(result));
      run.parent_notified = true;
      this.state.persistRun();
      await this.commit();
    } catch (err) {
      console.error(`run ${run.run_id}: telling parent ${run.parent.run_id} failed, will retry`, err);
      await this.clock.retrySoon();
    }
  }

  /**
   * Sends a sub-run's event to its parent (best effort: the approval itself is listed by /approvals anyway).
   * Not retried: each call appends an event to the parent, so a repeat could show it twice.
   */
  private forwardToParent(type: RunEventType, stepId: string, data: Record<string, unknown>): void {
    const run = this.state.run;
    const parent = run.parent!;
    this.keepAlive(this.childRun(parent.run_id).childEvent(parent.step_id, { type, run_id: run.run_id, step_id: stepId, data }));
  }

  /**
   * Stops the run from outside (a cancel, or a parent that ended): what runs is cancelled and
   * the run ends with `status`, written before anything else hears of it (so a late checkpoint
   * or callback is refused as stale), then the runtime hosts of its running agent steps are
   * told to abort their calls, and its sub-runs are stopped.
   */
  async stop(status: "cancelled" | "failed", reason: string): Promise<void> {
    this.transitions.endRun(status, reason);
    await this.advance(); // commits the end, then stops the hosts and the sub-runs
  }

  /** The alarm: deadlines, approval timeouts, liveness and lost work, then whatever became ready. */
  async alarm(): Promise<void> {
    this.clock.fired();
    if (!this.state.exists) return;
    await checkSteps(
      this.state,
      {
        expireApproval: (stepId) => expireApproval(this, stepId),
        failStep: (stepId, error) => this.failStep(stepId, error),
        checkLiveness: (step, state, at, timeoutMs) => checkLiveness(this, step, state, at, timeoutMs),
        resumeLost: (step, state) => resumeLost(this, step, state),
      },
      Date.now(),
      this.heartbeatTimeoutMs(),
    );
    await this.advance();
  }

  /**
   * Sends the whole run to D1 again (the cron sweep found D1 showing the run
   * unfinished while it has ended here), including every stored event.
   */
  async remirror(): Promise<void> {
    this.state.remirrorAll(await this.state.storedEvents(0));
    await this.commit();
  }
}

/** Why the runtime did not accept an invocation, or null when it did. */
function dispatchFailure(answer: InvokeAnswer): string | null {
  if (answer.status === 202) return null;
  // The runtime's own short text (e.g. "the step's host could not take it"), never a stack or internals.
  return answer.message ? `runtime returned ${answer.status}: ${answer.message}` : `runtime returned ${answer.status}`;
}
