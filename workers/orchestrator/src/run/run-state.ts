// A run's state as its Durable Object holds it: the run, its steps and fanout
// items, the events not yet written, and which of them changed. `commit` writes
// every change to the object's own storage first (the source of truth), then
// mirrors it to the D1 Store. Storage and Store sit behind small interfaces so
// this module runs (and is tested) outside workerd.

import type { CompiledWorkflow, ProjectBundle } from "../../../../shared/bundle.ts";
import { FORWARDED_EVENT_TYPES, type RunEventType } from "../../../../shared/contracts/events.ts";
import type { ApprovalRecord, RunEvent, RunRecord, StepRecord } from "../../../../shared/contracts/records.ts";
import { runSpanId, traceparentOf } from "../../../../shared/otel/trace-context.ts";
import { createScrubber, type Scrubber } from "../engine/semantics.ts";
import {
  checkpointKey,
  eventKey,
  itemKey,
  type ApprovalState,
  type Checkpoint,
  type ItemState,
  type RunMeta,
  type SealedFields,
  type StartRun,
  type StepState,
} from "./model.ts";
import { loadItemsInChunks, StoredOutputs } from "./item-outputs.ts";
import { now } from "./now.ts";
import { PINNED_KEY, type PinnedVersion, pinnedSubWorkflow, pinVersion, subRunVersion, type VersionLookup, withPinned } from "./pinned-version.ts";
import { sealRunSecrets, unseal } from "./sealed.ts";
import { approvalRecord, stepRecordOf } from "./records.ts";
import { loadedSteps, pendingStep } from "./stored-steps.ts";

/** The Durable Object storage calls the run state makes. */
export interface RunStorage {
  get<T>(key: string): Promise<T | undefined>;
  /** Entries whose key starts with `prefix`, in key order, from `start` on, at most `limit` of them. */
  list<T>(options: { prefix: string; start?: string; limit?: number }): Promise<Map<string, T>>;
  /** Writes all entries in one atomic write. */
  putAll(entries: Record<string, unknown>): Promise<void>;
}

/** One mirror batch: the run row, changed steps, new events and changed approvals. */
export interface MirrorChange {
  run?: RunRecord;
  steps: StepRecord[];
  events: RunEvent[];
  approvals: ApprovalRecord[];
}

/** The D1 Store calls the run state makes. */
export interface RunMirror {
  createRun(run: RunRecord, idempotencyKey?: string): Promise<boolean>;
  mirror(change: MirrorChange): Promise<void>;
}

export interface RunStateDeps {
  storage: RunStorage;
  mirror: RunMirror;
  /** The compiled workflow of a bundle key (undefined when the bundle has none). */
  workflowOf(key: string): CompiledWorkflow | undefined;
  /** The current agents and servers, pinned with the workflow when a run starts. */
  agentOf?: VersionLookup["agentOf"];
  serverOf?: VersionLookup["serverOf"];
  /** A Worker var or secret by name (secret env values are masked everywhere). */
  envValue(name: string): unknown;
  /** KTSU_STATE_KEY: the key secret params are encrypted with in storage; undefined when not set. */
  stateKey?: string | undefined;
  /** Called for each event a person following the parent run must see (sub-runs only). */
  forward?: (type: RunEventType, stepId: string, data: Record<string, unknown>) => void;
}

export class RunState {
  private meta: RunMeta | null = null;
  private readonly steps = new Map<string, StepState>();
  private readonly items = new Map<string, ItemState>();
  /** The fanout items now running, so the clock looks at these rather than every item on every commit. */
  private readonly running = new Map<string, ItemState>();
  private readonly storedOutputs = new StoredOutputs(); // fanouts whose item outputs live in storage only
  /** Storage keys changed since the last commit. */
  private readonly dirty = new Set<string>();
  /** Events not yet written to storage. */
  private pendingEvents: RunEvent[] = [];
  /** Events in storage that D1 has not acknowledged yet. */
  private unmirroredEvents: RunEvent[] = [];
  /** Steps and approvals whose D1 rows are behind, and whether the run row is. */
  private readonly mirrorDirty = new Set<string>();
  private readonly approvalDirty = new Set<string>();
  private runDirty = false;
  private cachedScrubber?: Scrubber;
  /** The project version the run started on (pinned-version.ts); undefined for runs from before pinning. */
  private pinnedVersion: PinnedVersion | undefined;
  private readonly deps: RunStateDeps;

  constructor(deps: RunStateDeps) {
    this.deps = deps;
  }

  // ------------------------------------------------------------ reading

  get exists(): boolean {
    return this.meta !== null;
  }

  get run(): RunMeta {
    if (!this.meta) throw new Error("run not started");
    return this.meta;
  }

  get workflow(): CompiledWorkflow {
    if (this.pinnedVersion) return this.pinnedVersion.workflow;
    // Runs started before workflows were pinned read theirs from the bundle.
    const workflow = this.deps.workflowOf(this.run.workflow_key);
    if (!workflow) throw new Error(`workflow ${this.run.workflow_key} is not in the project bundle`);
    return workflow;
  }

  /** `project` as this run sees it: the agents and servers it started with. */
  projectVersion(project: ProjectBundle): ProjectBundle {
    return withPinned(project, this.pinnedVersion);
  }

  /** The sub-workflow of bundle key `key` as this run started with it (the bundle's for runs pinned before sub-workflows were). */
  subWorkflow(key: string): CompiledWorkflow | undefined {
    return pinnedSubWorkflow(this.pinnedVersion, key) ?? this.deps.workflowOf(key);
  }

  /** The version a sub-run of `key` starts on: this run's (undefined: the sub-run pins the current one). */
  subRunVersion(key: string): PinnedVersion | undefined {
    return subRunVersion(this.pinnedVersion, key);
  }

  stepState(id: string): StepState {
    const state = this.steps.get(id);
    if (!state) throw new Error(`unknown step ${id}`);
    return state;
  }

  stepStates(): ReadonlyMap<string, StepState> {
    return this.steps;
  }

  item(stepId: string, index: number): ItemState | undefined {
    return this.items.get(itemKey(stepId, index));
  }

  /** Fanout items whose status was `running` when last put. */
  runningItems(): Iterable<ItemState> {
    return this.running.values();
  }

  /** Ended for good: complete, failed or cancelled (a needs_human halt can resume). */
  ended(): boolean {
    return this.run.status === "complete" || this.run.status === "failed" || this.run.status === "cancelled";
  }

  /** Whether D1 is behind this state (a mirror batch failed and waits for a retry). */
  mirrorPending(): boolean {
    return this.runDirty || this.mirrorDirty.size > 0 || this.approvalDirty.size > 0 || this.unmirroredEvents.length > 0;
  }

  // ------------------------------------------------------------ creating and loading

  /** Reads the run from storage (a fresh instance after an eviction); `graceUntil` moves heartbeat deadlines out. */
  async load(graceUntil: number): Promise<void> {
    const meta = (await this.deps.storage.get<RunMeta>("meta")) ?? null;
    if (!meta) return;
    if (meta.sealed) {
      const key = this.deps.stateKey;
      if (!key) throw new Error(`run ${meta.run_id}: its state is encrypted but KTSU_STATE_KEY is not set`);
      Object.assign(meta, await unseal<SealedFields>(meta.sealed, key));
    }
    this.meta = meta;
    this.pinnedVersion = await this.deps.storage.get<PinnedVersion>(PINNED_KEY);
    for (const [id, state] of loadedSteps(this.workflow.pipeline, await this.deps.storage.list<StepState>({ prefix: "step:" }))) this.steps.set(id, state);
    await loadItemsInChunks(this.deps.storage, (chunk) => {
      for (const [key, value] of chunk) this.setItem(key, value);
      this.storedOutputs.forget(this.steps.values(), this.items, [...chunk.keys()], this.dirty);
    });
    // Heartbeats live in memory; whatever was in flight gets a full window to show it is alive.
    for (const holder of [...this.steps.values(), ...this.running.values()]) {
      if (holder.status === "running" && holder.heartbeat_deadline_at !== undefined)
        holder.heartbeat_deadline_at = Math.max(holder.heartbeat_deadline_at, graceUntil);
    }
  }

  /**
   * Creates the run: its state is in storage and its Run record in D1 before
   * the caller hears "accepted", so a run id handed out can always be read back.
   */
  async create(input: StartRun): Promise<void> {
    const at = now();
    const { pinned, ...start } = input;
    const meta: RunMeta = { ...start, status: "running", created_at: at, updated_at: at, next_seq: 0, event_seq: 0 };
    await sealRunSecrets(meta, this.deps.stateKey);
    this.meta = meta;
    // A sub-run keeps the version its parent started on; a root run pins the project as it is now.
    this.pinnedVersion = pinned ?? pinVersion(this.workflow, this.deps);
    // Pending steps are not written: a step is stored when it first changes, and load() rebuilds the rest.
    const entries: Record<string, unknown> = { [PINNED_KEY]: this.pinnedVersion };
    for (const step of this.workflow.pipeline) this.steps.set(step.id, pendingStep(step));
    this.event("run_started", undefined, { workflow: input.workflow_name });
    entries.meta = this.storedMeta();
    await this.deps.storage.putAll(entries);
    this.dirty.clear(); // all written above; the `run_started` event is stored by the first commit
    await this.deps.mirror.createRun(this.scrubber().value(this.runRecord()), input.idempotency_key);
  }

  private storedMeta(): RunMeta {
    const meta = this.run;
    const scrub = this.scrubber();
    const derived: Partial<RunMeta> = {
      ...(meta.result ? { result: scrub.value(meta.result) } : {}),
      ...(meta.error ? { error: scrub.text(meta.error) } : {}),
    };
    if (!meta.sealed) return { ...meta, ...derived };
    return {
      ...meta,
      ...derived,
      params: scrub.value(meta.params),
      payload: scrub.value(meta.payload),
      secret_params: [],
      ...(meta.param_strings ? { param_strings: scrub.value(meta.param_strings) } : {}),
    };
  }

  // ------------------------------------------------------------ changing

  /** A visible change of the run itself: stored, and its row mirrored to D1. */
  touchRun(): void {
    this.run.updated_at = now();
    this.dirty.add("meta");
    this.runDirty = true;
  }

  /** Bookkeeping of the run (counters, flags): stored, but nothing D1 shows changed. */
  persistRun(): void {
    this.dirty.add("meta");
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

  /** Records a (new or changed) fanout item; every change of an item's status goes through here. */
  putItem(stepId: string, item: ItemState): void {
    const key = itemKey(stepId, item.index);
    this.setItem(key, item);
    this.dirty.add(key);
  }

  private setItem(key: string, item: ItemState): void {
    this.items.set(key, item);
    if (item.status === "running") this.running.set(key, item);
    else this.running.delete(key);
  }

  event(type: RunEventType, stepId?: string, data?: Record<string, unknown>): void {
    const run = this.run;
    if (run.parent && stepId && FORWARDED_EVENT_TYPES.has(type)) this.deps.forward?.(type, stepId, this.scrubber().value(data ?? {}));
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

  async readCheckpoint(stepId: string): Promise<Checkpoint | undefined> {
    return this.deps.storage.get<Checkpoint>(checkpointKey(stepId));
  }

  /** Secret values are masked in stored conversations too: a resumed model sees `[REDACTED]`. */
  async writeCheckpoint(stepId: string, checkpoint: Checkpoint): Promise<void> {
    await this.deps.storage.putAll({ [checkpointKey(stepId)]: { ...checkpoint, messages: this.scrubber().value(checkpoint.messages) } });
  }

  /** The run's stored events after `after`, in order. */
  async storedEvents(after: number): Promise<RunEvent[]> {
    return [...(await this.deps.storage.list<RunEvent>({ prefix: "event:", start: eventKey(after + 1) })).values()];
  }

  /** Masks this run's secret values: secret env values (root runs) and secret params. Built once per instance. */
  scrubber(): Scrubber {
    if (this.cachedScrubber) return this.cachedScrubber;
    const run = this.run;
    const secrets = [...run.secret_params];
    if (run.env_enabled) {
      for (const decl of this.workflow.env) {
        const value = this.deps.envValue(decl.name);
        if (decl.secret && typeof value === "string" && value !== "") secrets.push(value);
      }
    }
    this.cachedScrubber = createScrubber(secrets);
    return this.cachedScrubber;
  }

  // ------------------------------------------------------------ committing

  /**
   * Writes changed state and new events (masked) to storage, then mirrors to D1.
   * A failed storage write throws and keeps everything queued. A failed mirror
   * does not throw (storage, the source of truth, has the change): its rows and
   * events stay queued until a later commit or the alarm's retry delivers them.
   * Returns the events this commit stored, for live streams.
   */
  async commit(): Promise<RunEvent[]> {
    const events = this.pendingEvents.length > 0 ? this.scrubber().value(this.pendingEvents) : [];
    this.pendingEvents = [];
    if (this.dirty.size > 0 || events.length > 0) {
      const entries: Record<string, unknown> = {};
      // Steps and items are masked as they are written too: values are masked where they enter
      // the state (transitions.ts), and this keeps any path that missed it out of storage.
      const scrub = this.scrubber();
      for (const key of this.dirty) {
        if (key === "meta") entries[key] = this.storedMeta();
        else if (key.startsWith("step:")) entries[key] = scrub.value(this.steps.get(key.slice(5)));
        else entries[key] = scrub.value(this.items.get(key));
      }
      for (const event of events) entries[eventKey(event.seq)] = event;
      const keys = [...this.dirty];
      this.dirty.clear();
      try {
        await this.deps.storage.putAll(entries);
      } catch (err) {
        // Nothing is lost: the next commit writes the same changes again, and D1 is not ahead of storage.
        for (const key of keys) this.dirty.add(key);
        this.pendingEvents = [...events, ...this.pendingEvents];
        throw err;
      }
      this.storedOutputs.forget(this.steps.values(), this.items, keys, this.dirty);
    }
    this.unmirroredEvents.push(...events);
    await this.mirror();
    return events;
  }

  /**
   * Sends what D1 is behind on in one batch. Records are built from the current
   * state when sent, so a retry carries the newest rows. What was sent is
   * dequeued only when the batch succeeded; changes made meanwhile stay queued.
   */
  private async mirror(): Promise<boolean> {
    if (!this.mirrorPending()) return true;
    const runDirty = this.runDirty;
    const stepIds = [...this.mirrorDirty];
    const approvalIds = [...this.approvalDirty];
    const events = this.unmirroredEvents;
    this.runDirty = false;
    this.mirrorDirty.clear();
    this.approvalDirty.clear();
    this.unmirroredEvents = [];
    const scrub = this.scrubber();
    const change: MirrorChange = {
      steps: stepIds.map((id) => scrub.value(this.stepRecord(this.stepState(id)))),
      events,
      approvals: approvalIds.flatMap((id) => {
        const approval = this.stepState(id).approval;
        return approval ? [scrub.value(approvalRecord(approval))] : [];
      }),
      ...(runDirty ? { run: scrub.value(this.runRecord()) } : {}),
    };
    try {
      await this.deps.mirror.mirror(change);
      return true;
    } catch (err) {
      if (runDirty) this.runDirty = true;
      for (const id of stepIds) this.mirrorDirty.add(id);
      for (const id of approvalIds) this.approvalDirty.add(id);
      this.unmirroredEvents = [...events, ...this.unmirroredEvents];
      console.error(`run ${this.run.run_id}: mirroring to D1 failed, will retry`, err);
      return false;
    }
  }

  /**
   * Queues the whole run for D1 again: the run row, every step and approval, and
   * the given (stored) events. Rows are upserts and events are insert-or-ignore,
   * so a second copy changes nothing D1 already has.
   */
  remirrorAll(events: RunEvent[]): void {
    this.runDirty = true;
    for (const [id, state] of this.steps) {
      this.mirrorDirty.add(id);
      if (state.approval) this.approvalDirty.add(id);
    }
    const queued = new Set(this.unmirroredEvents.map((e) => e.seq));
    this.unmirroredEvents.push(...events.filter((e) => !queued.has(e.seq)));
    this.unmirroredEvents.sort((a, b) => a.seq - b.seq);
  }

  // ------------------------------------------------------------ records

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
      ...(run.trace ? { trace_parent: traceparentOf(run.trace, runSpanId(run.run_id)) } : {}),
    };
  }

  stepRecord(state: StepState): StepRecord {
    return stepRecordOf(this.run.run_id, state);
  }
}
