import { DurableObject } from "cloudflare:workers";
import { project } from "ktsu-project";
import type { CompiledStep, CompiledWorkflow } from "../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../shared/contracts/metrics.ts";
import type { ApprovalRecord, RunEvent, RunRecord, StepRecord } from "../../../../shared/contracts/records.ts";
import { FORWARDED_EVENT_TYPES, type RunEventType } from "../../../../shared/contracts/events.ts";
import type { CallbackPayload } from "../../../../shared/contracts/runtime.ts";
import { decideApproval, expireApproval, type Decision, type DecisionResult } from "./approvals.ts";
import type { OrchestratorEnv } from "../env.ts";
import { createScrubber, type Scrubber } from "../engine/semantics.ts";
import { Store } from "../store/store.ts";
import { finishOutput, type OutputVerdict } from "./finish.ts";
import {
  ZERO_METRICS,
  checkpointKey,
  itemKey,
  type ApprovalState,
  type Checkpoint,
  type ItemState,
  type RunMeta,
  type SealedFields,
  type StartRun,
  type StepState,
} from "./model.ts";
import { seal, unseal } from "./sealed.ts";
import { EventHub, eventKey } from "./event-stream.ts";
import { allSettled, readySteps } from "./scheduler.ts";
import { StepRunner, type StepOutcome } from "./step-runner.ts";

const DEFAULT_HEARTBEAT_TIMEOUT_MS = 15_000;
/** How often a run with work in flight re-checks itself, so an evicted object resumes. */
const WATCHDOG_MS = 10_000;

export interface ChildResult {
  step_id: string;
  status: "complete" | "failed";
  output?: Record<string, unknown>;
  error?: string;
  metrics: StepMetrics;
}

/**
 * One Durable Object per run. It owns the run: builds the DAG from the bundle,
 * starts every ready step at once, receives agent results, applies reserved
 * fields and Air-Lock, and mirrors each change to D1. Its alarm is the run's
 * clock: heartbeat deadlines, step timeouts, and resuming work lost to an eviction.
 */
export class RunDO extends DurableObject<OrchestratorEnv> {
  private meta: RunMeta | null = null;
  private steps = new Map<string, StepState>();
  private items = new Map<string, ItemState>();
  /** Storage keys changed since the last commit. */
  private dirty = new Set<string>();
  private pendingEvents: RunEvent[] = [];
  private mirrorDirty = new Set<string>();
  private approvalDirty = new Set<string>();
  private runDirty = false;
  /** Work whose promise lives in this instance; after an eviction it is empty and the alarm re-runs it. */
  private inFlight = new Set<string>();
  private readonly store: Store;
  private readonly runner: StepRunner;
  private readonly hub = new EventHub();
  private cachedScrubber?: Scrubber;

  constructor(ctx: DurableObjectState, env: OrchestratorEnv) {
    super(ctx, env);
    this.store = new Store(env.DB);
    this.runner = new StepRunner(this, env);
    ctx.blockConcurrencyWhile(() => this.load());
  }

  // ---------------------------------------------------------------- state

  private async load(): Promise<void> {
    this.meta = (await this.ctx.storage.get<RunMeta>("meta")) ?? null;
    if (!this.meta) return;
    if (this.meta.sealed) {
      const key = this.stateKey();
      if (!key) throw new Error(`run ${this.meta.run_id}: its state is encrypted but KTSU_STATE_KEY is not set`);
      Object.assign(this.meta, await unseal<SealedFields>(this.meta.sealed, key));
    }
    for (const [key, value] of await this.ctx.storage.list<StepState>({ prefix: "step:" })) this.steps.set(key.slice(5), value);
    for (const [key, value] of await this.ctx.storage.list<ItemState>({ prefix: "item:" })) this.items.set(key, value);
    // Heartbeats live in memory; whatever was in flight gets a full window to show it is alive.
    const grace = Date.now() + this.heartbeatTimeoutMs();
    for (const holder of [...this.steps.values(), ...this.items.values()]) {
      if (holder.status === "running" && holder.heartbeat_deadline_at !== undefined)
        holder.heartbeat_deadline_at = Math.max(holder.heartbeat_deadline_at, grace);
    }
  }

  /** The Worker's bindings, for the step runner's helpers. */
  get bindings(): OrchestratorEnv {
    return this.env;
  }

  /** KTSU_STATE_KEY: the key secret params are encrypted with in this object's storage. */
  private stateKey(): string | undefined {
    const key = this.env.KTSU_STATE_KEY;
    return typeof key === "string" && key !== "" ? key : undefined;
  }

  /** Encrypts the secret-bearing fields of a new run when it has secret params. */
  private async sealSecrets(meta: RunMeta): Promise<void> {
    if (meta.secret_params.length === 0) return;
    const key = this.stateKey();
    if (!key) {
      console.warn(`run ${meta.run_id}: KTSU_STATE_KEY is not set, so its secret params are stored unencrypted in the run's state`);
      return;
    }
    const fields: SealedFields = {
      params: meta.params,
      payload: meta.payload,
      secret_params: meta.secret_params,
      ...(meta.param_strings ? { param_strings: meta.param_strings } : {}),
    };
    meta.sealed = await seal(fields, key);
  }

  /** The run as stored: with secrets sealed, only masked copies of the sealed fields. */
  private storedMeta(): RunMeta {
    const meta = this.run;
    if (!meta.sealed) return meta;
    const scrub = this.scrubber();
    return {
      ...meta,
      params: scrub.value(meta.params),
      payload: scrub.value(meta.payload),
      secret_params: [],
      ...(meta.param_strings ? { param_strings: scrub.value(meta.param_strings) } : {}),
    };
  }

  get run(): RunMeta {
    if (!this.meta) throw new Error("run not started");
    return this.meta;
  }

  get workflow(): CompiledWorkflow {
    const workflow = project.workflows[this.run.workflow_key];
    if (!workflow) throw new Error(`workflow ${this.run.workflow_key} is not in the project bundle`);
    return workflow;
  }

  stepState(id: string): StepState {
    const state = this.steps.get(id);
    if (!state) throw new Error(`unknown step ${id}`);
    return state;
  }

  stepStates(): Map<string, StepState> {
    return this.steps;
  }

  item(stepId: string, index: number): ItemState | undefined {
    return this.items.get(itemKey(stepId, index));
  }

  touchRun(): void {
    this.run.updated_at = now();
    this.dirty.add("meta");
    this.runDirty = true;
  }

  /** A visible change of a step: stored, and mirrored to D1. */
  touchStep(state: StepState): void {
    this.dirty.add(`step:${state.id}`);
    this.mirrorDirty.add(state.id);
  }

  /** Bookkeeping only (fanout counters, deadlines): stored, but nothing D1 shows changed. */
  persistStep(state: StepState): void {
    this.dirty.add(`step:${state.id}`);
  }

  /** Records a step's (new or changed) approval. */
  putApproval(state: StepState, approval: ApprovalState): void {
    state.approval = approval;
    this.touchStep(state);
    this.approvalDirty.add(state.id);
  }

  async readCheckpoint(stepId: string): Promise<Checkpoint | undefined> {
    return this.ctx.storage.get<Checkpoint>(checkpointKey(stepId));
  }

  /** Secret values are masked in stored conversations too: a resumed model sees `[REDACTED]`. */
  async writeCheckpoint(stepId: string, checkpoint: Checkpoint): Promise<void> {
    await this.ctx.storage.put(checkpointKey(stepId), { ...checkpoint, messages: this.scrubber().value(checkpoint.messages) });
  }

  putItem(stepId: string, item: ItemState): void {
    const key = itemKey(stepId, item.index);
    this.items.set(key, item);
    this.dirty.add(key);
  }

  event(type: RunEventType, stepId?: string, data?: Record<string, unknown>): void {
    const run = this.run;
    if (run.parent && stepId && FORWARDED_EVENT_TYPES.has(type)) this.forwardToParent(type, stepId, data ?? {});
    run.event_seq += 1;
    this.dirty.add("meta");
    this.pendingEvents.push({
      run_id: run.run_id,
      seq: run.event_seq,
      type,
      ...(stepId ? { step_id: stepId } : {}),
      ...(data ? { data } : {}),
      created_at: now(),
    });
  }

  /** Masks this run's secret values: secret env values (root runs) and secret params. Built once per instance. */
  scrubber(): Scrubber {
    if (this.cachedScrubber) return this.cachedScrubber;
    const run = this.run;
    const secrets = [...run.secret_params];
    if (run.env_enabled) {
      for (const decl of this.workflow.env) {
        const value = this.env[decl.name];
        if (decl.secret && typeof value === "string" && value !== "") secrets.push(value);
      }
    }
    this.cachedScrubber = createScrubber(secrets);
    return this.cachedScrubber;
  }

  /**
   * Writes changed state and new events (masked) to this object's storage, then
   * mirrors them to D1, then hands the events to live streams.
   */
  async commit(): Promise<void> {
    const events = this.pendingEvents.length > 0 ? this.scrubber().value(this.pendingEvents) : [];
    this.pendingEvents = [];
    if (this.dirty.size > 0 || events.length > 0) {
      const entries: Record<string, unknown> = {};
      for (const key of this.dirty) {
        if (key === "meta") entries[key] = this.storedMeta();
        else if (key.startsWith("step:")) entries[key] = this.steps.get(key.slice(5));
        else entries[key] = this.items.get(key);
      }
      for (const event of events) entries[eventKey(event.seq)] = event;
      const keys = [...this.dirty];
      this.dirty.clear();
      try {
        await putAll(this.ctx.storage, entries);
      } catch (err) {
        // Nothing is lost: the next commit writes the same changes again, and D1 is not ahead of storage.
        for (const key of keys) this.dirty.add(key);
        this.pendingEvents = [...events, ...this.pendingEvents];
        throw err;
      }
    }
    await this.mirror(events);
    if (events.length > 0) this.hub.publish(events, this.runEnded());
    await this.scheduleAlarm();
  }

  /** Ended for good: complete or failed (a needs_human halt can resume). */
  private runEnded(): boolean {
    return this.run.status === "complete" || this.run.status === "failed";
  }

  private async mirror(events: RunEvent[]): Promise<void> {
    if (!this.runDirty && this.mirrorDirty.size === 0 && events.length === 0 && this.approvalDirty.size === 0) return;
    const scrub = this.scrubber();
    const change = {
      run: this.runDirty ? scrub.value(this.runRecord()) : undefined,
      steps: [...this.mirrorDirty].map((id) => scrub.value(this.stepRecord(this.stepState(id)))),
      events,
      approvals: [...this.approvalDirty].flatMap((id) => {
        const approval = this.stepState(id).approval;
        return approval ? [scrub.value(approvalRecord(approval))] : [];
      }),
    };
    this.runDirty = false;
    this.mirrorDirty.clear();
    this.approvalDirty.clear();
    await this.store.mirror(change);
  }

  runRecord(): RunRecord {
    const run = this.run;
    let cost = 0;
    for (const s of this.steps.values()) cost += s.metrics.cost_usd;
    return {
      id: run.run_id,
      workflow_name: run.workflow_name,
      status: run.status,
      created_at: run.created_at,
      updated_at: run.updated_at,
      ...(run.completed_at ? { completed_at: run.completed_at } : {}),
      ...(run.error ? { error: run.error } : {}),
      ...(run.metadata ? { metadata: run.metadata } : {}),
      payload: run.payload,
      ...(run.parent ? { parent_run_id: run.parent.run_id } : {}),
      cost_usd: Math.round(cost * 1e9) / 1e9,
    };
  }

  stepRecord(state: StepState): StepRecord {
    return {
      id: state.id,
      run_id: this.run.run_id,
      name: state.id,
      type: state.type,
      status: state.status === "cancelled" ? "failed" : state.status,
      seq: state.seq,
      ...(state.started_at ? { started_at: state.started_at } : {}),
      ...(state.ended_at ? { ended_at: state.ended_at } : {}),
      ...(state.error ? { error: state.error } : {}),
      ...(state.output ? { output: state.output } : {}),
      ...(state.raw_output ? { raw_output: state.raw_output } : {}),
      ...(state.validation_errors ? { validation_errors: state.validation_errors } : {}),
      metrics: state.metrics,
      ...(state.reflected !== undefined ? { reflected: state.reflected } : {}),
      ...(state.messages ? { messages: state.messages } : {}),
    };
  }

  /** `GET /events?after=N`: the run's events after N as Server-Sent Events, live until the run ends. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET" || url.pathname !== "/events" || !this.meta) {
      return Response.json({ error: "not_found", message: "run not found" }, { status: 404 });
    }
    const after = Math.max(0, Number(url.searchParams.get("after")) || 0);
    const stored = await this.ctx.storage.list<RunEvent>({ prefix: "event:", start: eventKey(after + 1) });
    return this.hub.subscribe([...stored.values()], this.runEnded());
  }

  // ------------------------------------------------------------ RPC entry points

  /** Starts the run; idempotent (a second call with the same id changes nothing). Returns whether it was created. */
  async start(input: StartRun): Promise<{ created: boolean; run_id: string }> {
    if (this.meta) return { created: false, run_id: this.meta.run_id };
    const at = now();
    this.meta = { ...input, status: "running", created_at: at, updated_at: at, next_seq: 0, event_seq: 0 };
    await this.sealSecrets(this.meta);
    const workflow = this.workflow;
    for (const step of workflow.pipeline) {
      this.steps.set(step.id, { id: step.id, type: step.type, status: "pending", seq: -1, metrics: { ...ZERO_METRICS }, attempt: 0 });
    }
    this.dirty.add("meta");
    for (const step of workflow.pipeline) this.dirty.add(`step:${step.id}`);
    this.event("run_started", undefined, { workflow: input.workflow_name });
    // The Run record exists before the caller hears "accepted" (bug B8).
    this.runDirty = false;
    await putAll(this.ctx.storage, Object.fromEntries([...this.dirty].map((k) => [k, k === "meta" ? this.storedMeta() : this.steps.get(k.slice(5))])));
    this.dirty.clear();
    await this.store.createRun(this.scrubber().value(this.runRecord()), input.idempotency_key);
    await this.advance();
    return { created: true, run_id: input.run_id };
  }

  /** The runtime's result for an agent step or fanout item. */
  async callback(payload: CallbackPayload): Promise<void> {
    if (!this.meta) return;
    await this.runner.onCallback(payload);
    await this.advance();
  }

  /** Liveness from the runtime for some of this run's steps. */
  async heartbeat(stepIds: string[]): Promise<void> {
    if (!this.meta) return;
    this.runner.onHeartbeat(stepIds, this.heartbeatTimeoutMs());
  }

  /**
   * A sub-run's event a person must see (an approval waiting inside it): recorded on the
   * step that runs the sub-workflow, naming the sub-run and its step, so whoever follows
   * this run's events can decide it. Nested sub-runs pass the innermost names up.
   */
  async childEvent(stepId: string, event: { type: RunEventType; run_id: string; step_id: string; data: Record<string, unknown> }): Promise<void> {
    if (!this.meta || !this.steps.has(stepId)) return;
    const origin = typeof event.data.sub_run_id === "string" ? {} : { sub_run_id: event.run_id, sub_step_id: event.step_id };
    this.event(event.type, stepId, { ...event.data, ...origin });
    await this.commit();
  }

  /** Sends a sub-run's event to its parent (best effort: the approval itself is listed by /approvals anyway). */
  private forwardToParent(type: RunEventType, stepId: string, data: Record<string, unknown>): void {
    const run = this.run;
    const parent = run.parent!;
    const event = { type, run_id: run.run_id, step_id: stepId, data: this.scrubber().value(data) };
    this.keepAlive(this.runner.runStub(parent.run_id).childEvent(parent.step_id, event));
  }

  /** A sub-run ended. */
  async childFinished(result: ChildResult): Promise<void> {
    if (!this.meta) return;
    await this.runner.onChildFinished(result);
    await this.advance();
  }

  /** The parent run failed: stop this sub-run. */
  async cancel(reason: string): Promise<void> {
    if (this.meta?.status !== "running") return;
    this.endRun("failed", reason);
    await this.commit();
  }

  /**
   * The cron sweep's poke for a run that looks stuck: if it is still running and
   * its alarm was lost, the alarm is re-armed so the run resumes or fails.
   */
  async sweep(): Promise<boolean> {
    if (this.meta?.status !== "running") return false;
    if ((await this.ctx.storage.getAlarm()) !== null) return false;
    await this.ctx.storage.setAlarm(Date.now());
    this.alarmAt = undefined;
    return true;
  }

  /** A runtime checkpoint after a turn: kept so a re-dispatch resumes from it. Stale attempts are ignored. */
  async checkpoint(stepId: string, checkpoint: Checkpoint): Promise<void> {
    if (!this.meta) return;
    const state = this.steps.get(stepId);
    if (state?.status !== "running" || checkpoint.attempt !== state.attempt) return;
    await this.writeCheckpoint(stepId, checkpoint);
    state.checkpoint_turn = checkpoint.turn;
    // A checkpoint is also a sign of life.
    state.heartbeat_deadline_at = Date.now() + this.heartbeatTimeoutMs();
    this.dirty.add(`step:${stepId}`); // internal bookkeeping only: nothing for D1
    await this.commit();
  }

  /** A reviewer's decision on a step's pending approval (spec §11.3). */
  async decide(stepId: string, decision: Decision): Promise<DecisionResult> {
    if (!this.meta) return { status: 404, message: "approval not found" };
    const result = await decideApproval(this, this.runner, stepId, decision);
    await this.advance();
    return result;
  }

  // ------------------------------------------------------------ the engine

  heartbeatTimeoutMs(): number {
    const configured = Number(this.env.KTSU_HEARTBEAT_TIMEOUT_MS);
    return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_HEARTBEAT_TIMEOUT_MS;
  }

  /**
   * Starts every ready step, repeating while synchronous steps (transforms,
   * skips) settle, until the run waits on something outside or ends.
   */
  async advance(): Promise<void> {
    const pipeline = this.workflow.pipeline;
    while (this.run.status === "running") {
      const ready = readySteps(pipeline, this.steps);
      if (ready.length === 0) break;
      const started: Promise<void>[] = [];
      for (const step of ready) started.push(this.startStep(step));
      await Promise.all(started);
    }
    if (this.run.status === "running" && allSettled(pipeline, this.steps)) this.completeRun();
    await this.commit();
    if (this.run.status !== "running") await this.afterEnd();
  }

  private async startStep(step: CompiledStep): Promise<void> {
    const state = this.stepState(step.id);
    state.status = "running";
    state.seq = this.run.next_seq++;
    state.started_at = now();
    if (this.run.timeout_s > 0) state.deadline_at = Date.now() + this.run.timeout_s * 1000;
    this.dirty.add("meta");
    this.touchStep(state);
    this.event("step_started", step.id, { type: step.type });
    const outcome = await this.runner.start(step, state);
    if (outcome) this.settle(step, outcome);
  }

  /** Applies a step's outcome: the per-step sequence of spec §8.3 steps 5–11. */
  settle(step: CompiledStep, outcome: StepOutcome): void {
    const state = this.stepState(step.id);
    if (state.status !== "running" && state.status !== "pending_approval") return; // a late result after fail-fast
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
    const verdict: OutputVerdict = finishOutput(step, outcome.output);
    switch (verdict.kind) {
      case "skipped":
        this.skipStep(state, verdict.context);
        return;
      case "needs_human":
        this.haltForHuman(step.id, verdict.output);
        return;
      case "failed":
        this.failStep(step.id, verdict.error, verdict.details);
        return;
      case "complete": {
        // Secret values never enter the run's state through an output (downstream steps see them masked too).
        const output = this.scrubber().value(verdict.output);
        state.status = "complete";
        state.output = output;
        state.context = output;
        state.ended_at = now();
        if (step.type === "agent" && outcome.reflected !== undefined) state.reflected = outcome.reflected;
        this.touchStep(state);
        this.event("step_completed", step.id, this.stepSummary(state));
      }
    }
  }

  private stepSummary(state: StepState): Record<string, unknown> {
    return { status: state.status, duration_ms: durationMs(state), cost_usd: state.metrics.cost_usd, ...(state.error ? { error: state.error } : {}) };
  }

  private skipStep(state: StepState, context: unknown): void {
    state.status = "skipped";
    state.context = context;
    state.ended_at = now();
    this.touchStep(state);
    this.event("step_skipped", state.id, this.stepSummary(state));
  }

  /** Fail-fast: the step and the run fail; running steps are cancelled and their results ignored. */
  failStep(stepId: string, error: string, details?: { raw_output?: string; validation_errors?: StepState["validation_errors"] }): void {
    const state = this.stepState(stepId);
    const scrubbed = this.scrubber().text(error);
    state.status = "failed";
    state.error = scrubbed;
    state.ended_at = now();
    if (details?.raw_output !== undefined) state.raw_output = details.raw_output;
    if (details?.validation_errors) state.validation_errors = details.validation_errors;
    this.touchStep(state);
    this.event("step_failed", stepId, this.stepSummary(state));
    this.run.failed_step = stepId;
    this.endRun("failed", scrubbed);
  }

  /**
   * `ktsu_needs_human`: the step holds its output and the run halts (no new step
   * starts) until a reviewer decides through the approval routes.
   */
  private haltForHuman(stepId: string, output: Record<string, unknown>): void {
    const state = this.stepState(stepId);
    state.status = "needs_human";
    state.error = "needs_human_review";
    state.held_output = output;
    this.putApproval(state, {
      run_id: this.run.run_id,
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
    this.event("step_needs_human", stepId, { ...this.stepSummary(state), output });
    this.run.failed_step = stepId;
    this.endRun("needs_human", "needs_human_review");
  }

  /** A reviewer approved a needs_human step: it completes with its held output and the run goes on. */
  resumeAfterHuman(stepId: string): void {
    const state = this.stepState(stepId);
    state.status = "complete";
    state.output = state.held_output ?? {};
    state.context = state.output;
    delete state.error;
    delete state.held_output;
    state.ended_at = now();
    this.touchStep(state);
    this.event("step_completed", stepId, this.stepSummary(state));
    const run = this.run;
    run.status = "running";
    delete run.error;
    delete run.failed_step;
    this.touchRun();
    this.event("run_resumed", stepId);
  }

  private completeRun(): void {
    this.endRun("complete");
  }

  endRun(status: "complete" | "failed" | "needs_human", error?: string): void {
    const run = this.run;
    // A needs_human halt only stops new steps: running ones finish, and the run can resume.
    for (const state of status === "needs_human" ? [] : this.steps.values()) {
      if (state.status === "running" || state.status === "pending_approval") {
        state.status = "cancelled";
        state.error = `cancelled: the run ended (${status})`;
        state.ended_at = now();
        this.touchStep(state);
        this.event("step_cancelled", state.id);
      }
    }
    run.status = status;
    if (error) run.error = error;
    else delete run.error;
    if (status === "complete") {
      run.completed_at = now();
      if (run.parent) run.result = this.runner.subRunResult();
    }
    this.touchRun();
    this.event(status === "complete" ? "run_completed" : status === "failed" ? "run_failed" : "run_needs_human", undefined, {
      status,
      ...(error ? { error } : {}),
    });
  }

  /**
   * After the run ended: stop children (failed runs) and tell the parent (sub-runs),
   * retried by the alarm until acknowledged. A needs_human halt is not an end:
   * the parent keeps waiting for the resumed run.
   */
  private async afterEnd(): Promise<void> {
    const run = this.run;
    if (run.status === "needs_human") return;
    if (run.status === "failed") await this.runner.cancelChildren();
    if (!run.parent || run.parent_notified) return;
    const metrics = this.runner.totalMetrics();
    const result: ChildResult =
      run.status === "complete"
        ? { step_id: run.parent.step_id, status: "complete", output: run.result ?? {}, metrics }
        : { step_id: run.parent.step_id, status: "failed", error: run.error ?? "sub-workflow failed", metrics };
    try {
      await this.runner.runStub(run.parent.run_id).childFinished(result);
      run.parent_notified = true;
      this.dirty.add("meta");
      await this.commit();
    } catch (err) {
      console.error(`run ${run.run_id}: telling parent ${run.parent.run_id} failed, will retry`, err);
      await this.ctx.storage.setAlarm(Date.now() + 1000);
      this.alarmAt = undefined;
    }
  }

  // ------------------------------------------------------------ the clock

  /**
   * Work that finishes after the current request (webhook replies). A Durable
   * Object stays in memory while it has pending I/O, so nothing needs to hold it
   * open; if it is evicted anyway, the alarm's watchdog redoes the work.
   */
  keepAlive(work: Promise<unknown>): void {
    work.catch((err: unknown) => console.error(`run ${this.meta?.run_id}: background work failed`, err));
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

  /** The alarm as last set by this instance; undefined until read from storage. */
  private alarmAt: number | null | undefined;

  private async scheduleAlarm(): Promise<void> {
    const next = this.nextWakeUp();
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (next === null) {
      if (this.alarmAt !== null) await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
      return;
    }
    const current = this.alarmAt;
    if (current === null || current > next || current < Date.now()) {
      await this.ctx.storage.setAlarm(next);
      this.alarmAt = next;
    }
  }

  /** The earliest deadline among running steps, fanout items and pending approvals (plus a watchdog while work runs). */
  private nextWakeUp(): number | null {
    const run = this.run;
    let next = Infinity;
    let working = false;
    for (const state of this.steps.values()) {
      if (state.status === "running") {
        working = true;
        if (state.deadline_at) next = Math.min(next, state.deadline_at);
        if (state.heartbeat_deadline_at) next = Math.min(next, state.heartbeat_deadline_at);
      }
      const approval = state.approval;
      if (approval?.status === "pending" && approval.timeout_at) next = Math.min(next, approval.timeout_at);
    }
    for (const item of this.items.values()) {
      if (item.status === "running" && item.heartbeat_deadline_at) next = Math.min(next, item.heartbeat_deadline_at);
    }
    if (working) next = Math.min(next, Date.now() + WATCHDOG_MS);
    if (run.status !== "running" && run.status !== "needs_human" && run.parent && !run.parent_notified) next = Math.min(next, Date.now() + 1000);
    return Number.isFinite(next) ? next : null;
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null; // this alarm has fired
    if (!this.meta) return;
    const at = Date.now();
    const timeoutMs = this.heartbeatTimeoutMs();
    for (const step of this.workflow.pipeline) {
      const state = this.steps.get(step.id);
      if (!state) continue;
      if (state.approval?.status === "pending" && state.approval.timeout_at && at >= state.approval.timeout_at) {
        await expireApproval(this, this.runner, step.id);
        continue;
      }
      if (state.status !== "running") continue;
      if (state.deadline_at && at >= state.deadline_at) {
        this.failStep(step.id, `step "${step.id}" timed out after model_policy.timeout_s = ${this.run.timeout_s}s`);
        continue;
      }
      const lost = await this.runner.checkLiveness(step, state, at, timeoutMs);
      if (lost) {
        this.failStep(step.id, lost);
        continue;
      }
      await this.runner.resumeLost(step, state);
    }
    await this.advance();
  }
}

function approvalRecord(approval: ApprovalState): ApprovalRecord {
  const { kind: _kind, timeout_at: _timeoutAt, ...record } = approval;
  return record;
}

/** A put takes at most 128 keys. All chunks are issued in one turn, so the runtime coalesces them into one atomic write. */
function putAll(storage: DurableObjectStorage, entries: Record<string, unknown>): Promise<unknown> {
  const keys = Object.keys(entries);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < keys.length; i += 128) {
    writes.push(storage.put(Object.fromEntries(keys.slice(i, i + 128).map((k) => [k, entries[k]]))));
  }
  return Promise.all(writes);
}

function now(): string {
  return new Date().toISOString();
}

function durationMs(state: StepState): number {
  if (!state.started_at || !state.ended_at) return 0;
  return Date.parse(state.ended_at) - Date.parse(state.started_at);
}
