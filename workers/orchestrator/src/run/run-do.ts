import { DurableObject } from "cloudflare:workers";
import { project, validators } from "ktsu-project";
import { bundleEntry } from "../../../../shared/bundle.ts";
import type { RunEventType } from "../../../../shared/contracts/events.ts";
import type { CallbackPayload } from "../../../../shared/contracts/runtime.ts";
import type { CompleteAnswer } from "../../../../shared/contracts/service-rpc.ts";
import { countedBinding } from "../../../../shared/util/subrequests.ts";
import type { OrchestratorEnv } from "../env.ts";
import { openStore } from "../store/open-store.ts";
import { RunEngine } from "./engine.ts";
import { EventHub } from "./event-stream.ts";
import { finishOutput } from "./finish.ts";
import { Handoff } from "./handoff.ts";
import { countedChildRun, countedMirror, countInvocations, InvocationCounter } from "./invocations.ts";
import { storedItems } from "./item-outputs.ts";
import { itemPage, type ItemPageAnswer } from "./item-pages.ts";
import type { Checkpoint, ChildResult, StartRun } from "./model.ts";
import { type PurgeLimits, type PurgeOutcome, purgeRun } from "./purge.ts";
import type { RunStorage } from "./run-state.ts";
import { decideApproval, type Decision, type DecisionResult } from "./steps/approvals.ts";
import { isCurrentAttempt, onCallbacks, onHeartbeat } from "./steps/step-kinds.ts";
import { onChildFinished } from "./steps/sub-workflow.ts";
import { withStubFaults } from "../../../../shared/util/test-faults.ts";
import { withMirrorFaults } from "./test-faults.ts";
import { exportRunTrace, tracesConfigured } from "./trace-export.ts";

export type { ChildResult } from "./model.ts";

export interface CancelResult {
  status: 200 | 404 | 409;
  message?: string;
}

/**
 * One Durable Object per run: the RPC face of the run engine (run/engine.ts).
 * Every change is written to this object's storage before it acts, and its
 * alarm is the run's clock, so an evicted object resumes by itself.
 */
export class RunDO extends DurableObject<OrchestratorEnv> {
  private readonly engine: RunEngine;
  private readonly hub = new EventHub();
  private readonly storage: RunStorage;
  /** Subrequests per invocation of this object (invocations.ts); not exposed over RPC (only methods are). */
  readonly invocations = new InvocationCounter();
  /** Set once retention deleted this run: the state still in memory no longer exists. */
  private purged = false;
  /** Set once this object exported the run's trace (a run ends once; a later commit does not export again). */
  private traceExported = false;

  constructor(ctx: DurableObjectState, env: OrchestratorEnv) {
    super(ctx, env);
    // The same stub as run/stub.ts `runStub` (importing it here would make an import cycle: it names this class).
    const runs = env.RUNS as unknown as DurableObjectNamespace<RunDO>; // declared without the class in env.ts
    const exportTraces = tracesConfigured(env);
    const stateKey = typeof env.KTSU_STATE_KEY === "string" && env.KTSU_STATE_KEY !== "" ? env.KTSU_STATE_KEY : undefined;
    this.storage = doStorage(ctx.storage);
    this.engine = new RunEngine({
      storage: this.storage,
      mirror: countedMirror(withMirrorFaults(openStore(env), env.KTSU_TEST_FAULTS), this.invocations),
      alarms: ctx.storage,
      workflowOf: (key) => bundleEntry(project.workflows, key),
      agentOf: (key) => bundleEntry(project.agents, key),
      serverOf: (key) => bundleEntry(project.servers, key),
      envValue: (name) => env[name],
      stateKey,
      runtime: countedBinding(env.RUNTIME, "runtime", this.invocations),
      gateway: countedBinding(env.GATEWAY, "gateway", this.invocations),
      childRun: (runId) => countedChildRun(withStubFaults(runs.get(runs.idFromName(runId)), runId, env.KTSU_TEST_FAULTS), this.invocations),
      judge: (step, output) => finishOutput(step, output, validators),
      heartbeatTimeout: env.KTSU_HEARTBEAT_TIMEOUT_MS,
      onCommitted: (events, ended) => {
        this.hub.publish(events, ended);
        if (ended) this.invocations.reportOnce(this.engine.state.run.run_id);
        if (ended && exportTraces && !this.traceExported) {
          this.traceExported = true;
          // After the commit that ended the run; the gateway call is not counted as the run's work.
          ctx.waitUntil(exportRunTrace(this.engine.state, env.GATEWAY));
        }
      },
    });
    ctx.blockConcurrencyWhile(() => this.engine.state.load(Date.now() + this.engine.heartbeatTimeoutMs()));
  }

  private get started(): boolean {
    return !this.purged && this.engine.state.exists;
  }

  /** `GET /events?after=N`: the run's events after N as Server-Sent Events, live until the run ends. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET" || url.pathname !== "/events" || !this.started) {
      return Response.json({ error: "not_found", message: "run not found" }, { status: 404 });
    }
    const after = Math.max(0, Number(url.searchParams.get("after")) || 0);
    return this.hub.subscribe(await this.engine.state.storedEvents(after), this.engine.state.ended());
  }

  /** Starts the run; idempotent (a second call with the same id changes nothing). Returns whether it was created. */
  async start(input: StartRun): Promise<{ created: boolean; run_id: string }> {
    if (this.started) return { created: false, run_id: this.engine.state.run.run_id };
    await this.engine.state.create(input);
    await this.engine.advance();
    return { created: true, run_id: input.run_id };
  }

  /**
   * The runtime's results for agent steps or fanout items, from one host: applied together, with
   * one commit. With `takeNext`, the reporting host may be given up to that many of the fanout's
   * next items, committed as running there, and with `queue` some of them to wait behind an item
   * still running (run/handoff.ts); otherwise the answer is empty.
   */
  async callbacks(payloads: CallbackPayload[], options: { takeNext?: number; queue?: boolean } = {}): Promise<CompleteAnswer> {
    if (!this.started) return { next: [] };
    const takeNext = options.takeNext ?? 0;
    const handoff = takeNext > 0 ? new Handoff(takeNext, options.queue === true) : undefined;
    await onCallbacks(this.engine, payloads, handoff);
    await this.engine.advance();
    return handoff?.answer() ?? { next: [] };
  }

  /** Liveness from the runtime for some of this run's steps. */
  async heartbeat(stepIds: string[]): Promise<void> {
    if (!this.started) return;
    if (onHeartbeat(this.engine, stepIds, this.engine.heartbeatTimeoutMs())) await this.engine.commit();
  }

  /**
   * A sub-run's event a person must see (an approval waiting inside it): recorded on the
   * step that runs the sub-workflow, naming the sub-run and its step, so whoever follows
   * this run's events can decide it. Nested sub-runs pass the innermost names up.
   */
  async childEvent(stepId: string, event: { type: RunEventType; run_id: string; step_id: string; data: Record<string, unknown> }): Promise<void> {
    if (!this.started || !this.engine.state.stepStates().has(stepId)) return;
    const origin = typeof event.data.sub_run_id === "string" ? {} : { sub_run_id: event.run_id, sub_step_id: event.step_id };
    this.engine.event(event.type, stepId, { ...event.data, ...origin });
    await this.engine.commit();
  }

  /** A sub-run ended. */
  async childFinished(result: ChildResult): Promise<void> {
    if (!this.started) return;
    onChildFinished(this.engine, result);
    await this.engine.advance();
  }

  /**
   * Stops the run: `POST /runs/{id}/cancel` (status `cancelled`), or its parent run ended
   * (`failed` or `cancelled`, as the parent). A run that is running or halted for a human can
   * be stopped; one that ended answers 409, so a second cancel is a 409 too.
   */
  async cancel(reason: string, status: "failed" | "cancelled" = "failed"): Promise<CancelResult> {
    if (!this.started) return { status: 404, message: "run not found" };
    const current = this.engine.state.run.status;
    if (current === "cancelled") return { status: 409, message: "run already cancelled" };
    if (current !== "running" && current !== "needs_human") return { status: 409, message: `run already ended (${current})` };
    await this.engine.stop(status, reason);
    return { status: 200 };
  }

  /**
   * The cron sweep's poke for a run that D1 shows as still running and stale.
   * A run that has ended here is sent to D1 again (its last mirror was lost);
   * a running run whose alarm was lost gets it re-armed, so it resumes or fails.
   * Returns whether it repaired something.
   */
  async sweep(): Promise<boolean> {
    if (!this.started) return false;
    if (this.engine.state.run.status !== "running") {
      await this.engine.remirror();
      return !this.engine.state.mirrorPending();
    }
    return this.engine.clock.rearmIfLost();
  }

  /**
   * A runtime checkpoint after a turn: kept so a re-dispatch resumes from it. Answers whether
   * the attempt is still the step's current one, so a superseded runtime stops (a run that
   * ended, a step that was re-dispatched or failed).
   */
  async checkpoint(stepId: string, checkpoint: Checkpoint): Promise<{ current: boolean }> {
    if (!this.started) return { current: false };
    if (!isCurrentAttempt(this.engine, stepId, checkpoint.attempt)) return { current: false };
    const state = this.engine.state.stepStates().get(stepId);
    // Fanout items resume by re-dispatch from the start, so only pipeline steps keep a checkpoint.
    if (state?.status !== "running") return { current: true };
    await this.engine.state.writeCheckpoint(stepId, checkpoint);
    state.checkpoint_turn = checkpoint.turn;
    // A checkpoint is also a sign of life.
    state.heartbeat_deadline_at = Date.now() + this.engine.heartbeatTimeoutMs();
    this.engine.state.persistStep(state); // internal bookkeeping only: nothing for D1
    await this.engine.commit();
    return { current: true };
  }

  /** A reviewer's decision on a step's pending approval. */
  async decide(stepId: string, decision: Decision): Promise<DecisionResult> {
    if (!this.started) return { status: 404, message: "approval not found" };
    const result = await decideApproval(this.engine, stepId, decision);
    await this.engine.advance();
    return result;
  }

  /**
   * Retention: deletes this run's state here, in its step hosts and in its sub-runs' objects.
   * A root run that has not ended is kept; `force` (a sub-run, whose root has ended) is not.
   * Answers `more` when the run's hosts take another call (run/purge.ts; `limits` sizes a call).
   */
  async purge(options: { force?: boolean; limits?: PurgeLimits } = {}): Promise<PurgeOutcome> {
    if (this.purged) return "done";
    const runs = this.env.RUNS as unknown as DurableObjectNamespace<RunDO>;
    const outcome = await purgeRun(
      this.engine.state,
      {
        storage: this.ctx.storage,
        runtime: this.env.RUNTIME,
        purgeChild: (runId) => runs.get(runs.idFromName(runId)).purge({ force: true }),
      },
      { force: options.force === true, ...(options.limits ? { limits: options.limits } : {}) },
    );
    if (outcome === "done") this.purged = true;
    return outcome;
  }

  /** A page of a fanout step's items from index `from` (the items route and streamed envelopes). */
  async items(stepId: string, from: number, limit: number, withCalls = false): Promise<ItemPageAnswer> {
    if (!this.started) return { status: 404, message: "run not found" };
    const state = this.engine.state;
    const isFanoutStep = (id: string) => {
      const step = state.workflow.pipeline.find((s) => s.id === id);
      return step ? step.type === "agent" && step.for_each !== undefined : undefined;
    };
    // From storage: a wide fanout's outputs are not all kept in memory (item-outputs.ts).
    const items = (id: string, start: number, count: number) => storedItems(this.storage, id, start, count);
    return itemPage({ isFanoutStep, stepState: (id) => state.stepState(id), items }, stepId, from, limit, withCalls);
  }

  override async alarm(): Promise<void> {
    if (this.purged) return;
    await this.engine.alarm();
  }
}

// Every RPC method, the fetch and the alarm: each call is one invocation of the object.
countInvocations(RunDO.prototype, (run) => run.invocations);

/** The run state's storage calls on this object's storage. */
function doStorage(storage: DurableObjectStorage): RunStorage {
  return {
    get: (key) => storage.get(key),
    list: (options) => storage.list(options),
    putAll: (entries) => putAll(storage, entries),
  };
}

/** A put takes at most 128 keys. All chunks are issued in one turn, so the runtime coalesces them into one atomic write. */
async function putAll(storage: DurableObjectStorage, entries: Record<string, unknown>): Promise<void> {
  const keys = Object.keys(entries);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < keys.length; i += 128) {
    writes.push(storage.put(Object.fromEntries(keys.slice(i, i + 128).map((k) => [k, entries[k]]))));
  }
  await Promise.all(writes);
}
