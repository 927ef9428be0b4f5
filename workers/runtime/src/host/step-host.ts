// The host agent steps run in: a Durable Object runs the agent loops of the steps the
// orchestrator sends it. A step attempt has a host of its own unless its request names a
// host key; a fanout's items share a few hosts that way, so a wide fanout does not create
// an object per item (shared/contracts/step-host.ts names them).
//
// A Worker's `waitUntil` work is cut 30 s after its response, so the loop cannot run
// there. A Durable Object runs as long as it has work: pending binding calls keep it
// alive (compatibility date 2026-10-01 and later), and its alarm, which fires once per
// heartbeat interval, both beats for the host's steps and keeps the object from going idle.
// The object keeps, per step, only that step: the accepted request, its last checkpoint and
// a log of the tool calls it started (step-keys.ts). After an eviction the next alarm finds
// the loops gone and continues each from its checkpoint. Once a step's callback is delivered
// its storage is erased.
import { DurableObject } from "cloudflare:workers";
import { countedBinding } from "../../../../shared/util/subrequests.ts";
import type { RuntimeEnv } from "../env.ts";
import { heartbeatInterval, runtimeId } from "../heartbeat.ts";
import { postHeartbeat } from "../orchestrator-client.ts";
import type { HandedItem } from "../orchestrator-client.ts";
import { acceptedStep } from "../invoke-request.ts";
import type { AcceptedStep } from "../step.ts";
import { StepCancelled } from "./abortable.ts";
import { HostedStep, type StepHostServices } from "./hosted-step.ts";
import { InvocationBudget } from "./invocation-budget.ts";
import { ResultOutbox } from "./result-outbox.ts";
import { CANCELLED_KEY, RESULT_PREFIX, STEP_PREFIX, type StepKey, stepKey, stepKeys } from "./step-keys.ts";

/** The storage API's limit on keys in one `delete`. */
const MAX_KEYS_PER_DELETE = 128;

export class StepHost extends DurableObject<RuntimeEnv> {
  /** The steps this instance knows: running, or stored and waiting for the alarm to resume them. */
  private readonly steps = new Map<StepKey, HostedStep>();
  /** When the alarm is due: `null` none, `undefined` not yet read in this instance. */
  private alarmAt: number | null | undefined;
  /** Alarms this instance has handled: each is an invocation of its own, with its heartbeat post. */
  private alarmCount = 0;
  /** Set by `cancel`: nothing more starts, is stored or is posted here. */
  private cancelled = false;
  /** Steps that ended in this instance: a repeated start of one is ignored even if it never stored anything. */
  private readonly ended = new Set<StepKey>();
  /** The subrequests of the current invocation, which bound how many items the host takes with its results. */
  private readonly budget = new InvocationBudget();

  private readonly services: StepHostServices = {
    storage: this.ctx.storage,
    env: this.env,
    interval: () => heartbeatInterval(this.env.KTSU_HEARTBEAT_INTERVAL_MS),
    persist: (step) => this.persist(step),
    erase: (step, keys) => this.erase(step, keys),
    alarms: () => this.alarmCount,
    start: (step, chain) => this.accept(step, chain),
    take: (handed, chain) => this.take(handed, chain),
    report: (callbackUrl, payload, takeNext) => this.outbox.send(callbackUrl, payload, takeNext),
    subrequests: this.budget,
  };

  /** The results of this host's steps, reported together when they are ready together. */
  private readonly outbox = new ResultOutbox(countedBinding(this.env.ORCHESTRATOR, "orchestrator", this.budget), () => this.awaitingResults(), this.budget);

  /**
   * Accepts a step and starts its loop. Idempotent: a repeated start of the same attempt
   * changes nothing while the host holds the step, or once it finished durably.
   */
  async start(step: AcceptedStep): Promise<void> {
    this.budget.reset();
    await this.accept(step, 0);
  }

  /** `start` for several steps in one call (a fanout's items dispatched to this host together). */
  async startMany(steps: AcceptedStep[]): Promise<void> {
    this.budget.reset();
    await Promise.all(steps.map((step) => this.accept(step, 0)));
  }

  /** `start`, for a dispatched step (`chain` 0) or one handed over with the result of a step of chain `chain - 1`. */
  private async accept(step: AcceptedStep, chain: number): Promise<void> {
    const key = stepKey(step);
    if (this.steps.has(key) || this.ended.has(key) || this.cancelled) return;
    const known = await this.ctx.storage.get([stepKeys.step(key), stepKeys.finished(key), CANCELLED_KEY]);
    if (known.has(CANCELLED_KEY)) this.cancelled = true;
    if (known.has(stepKeys.finished(key)) || this.steps.has(key) || this.cancelled) return;
    const stored = known.get(stepKeys.step(key)) as AcceptedStep | undefined;
    const hosted = new HostedStep(stored ?? step, this.services, stored !== undefined, chain);
    this.steps.set(key, hosted);
    hosted.drive(stored ? "resume" : "fresh");
  }

  /** A fanout item handed with a result: it waits behind the step it names while that one runs here, else starts now. */
  private async take(handed: HandedItem, chain: number): Promise<void> {
    const step = acceptedStep(handed.request);
    if (handed.after_step !== undefined) {
      for (const ahead of this.steps.values()) {
        const { run_id, step_id } = ahead.step.request;
        if (step_id === handed.after_step && run_id === handed.request.run_id && ahead.queueNext(step, chain)) return;
      }
    }
    await this.accept(step, chain);
  }

  /**
   * Stores a step's request and arms the alarm if none is due. The request and the alarm are
   * written in one turn, so they are committed together: a stored step always has an alarm.
   */
  private async persist(step: AcceptedStep): Promise<void> {
    if (this.cancelled) throw new StepCancelled();
    if (this.alarmAt === undefined) {
      const due = await this.ctx.storage.getAlarm();
      this.alarmAt ??= due;
    }
    const written = this.ctx.storage.put(stepKeys.step(stepKey(step)), step);
    if (this.alarmAt === null) {
      this.alarmAt = Date.now() + this.services.interval();
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
    await written;
  }

  /**
   * A step is done: what it stored is deleted and it is forgotten here. When no other step is
   * stored, the whole storage goes (`deleteAll`) with the alarm: deleting single keys leaves their
   * bytes in the database's free pages and write-ahead log, and a stored request holds its tool
   * servers' credentials. Only the finished step's mark is kept; the marks of steps that ended
   * earlier go with the rest (within an instance `ended` still refuses a repeated start).
   */
  private async erase(step: HostedStep, keys: string[]): Promise<void> {
    this.steps.delete(step.key);
    this.ended.add(step.key);
    if (!step.isDurable) return;
    const storage = this.ctx.storage;
    // Steps being erased at the same moment (results reported together) do not count as stored:
    // the last of them to get here erases everything. Every key is listed, as several may be.
    const stored = await storage.list<AcceptedStep>({ prefix: STEP_PREFIX });
    const othersStored = [...stored.values()].some((other) => !this.ended.has(stepKey(other))) || [...this.steps.values()].some((other) => other.isDurable);
    // Each branch's writes are issued in one turn: committed together.
    if (othersStored) {
      for (let i = 0; i < keys.length; i += MAX_KEYS_PER_DELETE) void storage.delete(keys.slice(i, i + MAX_KEYS_PER_DELETE));
    } else {
      this.alarmAt = null;
      void storage.deleteAlarm();
      void storage.deleteAll();
    }
    await storage.put(stepKeys.finished(step.key), Date.now());
  }

  /**
   * The run was cancelled: every step here has its LLM or tool call in flight aborted and starts no
   * other; nothing is posted back. The host's storage and alarm are erased, and a mark is kept so
   * that neither a start arriving after the cancel nor an alarm after an eviction runs anything.
   * A host runs steps of one run only, so a cancel of the run is a cancel of all of them.
   */
  async cancel(): Promise<void> {
    this.cancelled = true;
    const steps = [...this.steps.values()];
    for (const step of steps) step.cancel();
    this.outbox.discard();
    this.alarmAt = null;
    const storage = this.ctx.storage;
    // Issued in one turn: committed together.
    void storage.deleteAlarm();
    void storage.deleteAll();
    await storage.put(CANCELLED_KEY, Date.now());
    // Answered once every loop has ended: the caller knows nothing runs here any more.
    await Promise.allSettled(steps.map((step) => step.settled()));
    this.steps.clear();
  }

  /** How many steps run in this instance and have no result yet. */
  awaitingResults(): number {
    let count = 0;
    for (const step of this.steps.values()) if (step.isDriving && !step.resultReady && !step.cancelled) count += 1;
    return count;
  }

  /** How many steps have a loop running in this instance. */
  running(): number {
    return [...this.steps.values()].filter((step) => step.isDriving).length;
  }

  /**
   * Retention: the run this host served was deleted, so everything the host keeps goes (its
   * steps' requests, checkpoints, undelivered results, finished marks) and its alarm with it.
   */
  async purge(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.alarmAt = null;
  }

  /** The heartbeat for every step the host runs, the keep-alive and, after an eviction, the resume. */
  override async alarm(): Promise<void> {
    this.alarmCount += 1;
    this.budget.reset();
    this.alarmAt = null;
    if (this.cancelled) return;
    const storage = this.ctx.storage;
    const stored = await storage.list<AcceptedStep>({ prefix: STEP_PREFIX });
    for (const step of stored.values()) {
      const key = stepKey(step);
      if (!this.steps.has(key)) this.steps.set(key, new HostedStep(step, this.services, true));
    }
    const hosted = [...this.steps.values()];
    const delivering = await storage.list({ prefix: RESULT_PREFIX });
    const active = hosted
      .filter((step) => !step.resultReady && !delivering.has(stepKeys.result(step.key)))
      .map(({ step }) => ({ run_id: step.request.run_id, step_id: step.request.step_id }));
    if (active.length > 0)
      await postHeartbeat(countedBinding(this.env.ORCHESTRATOR, "orchestrator", this.budget), { runtime_id: runtimeId(this.env.KTSU_RUNTIME_ID), active });
    if (stored.size > 0) {
      this.alarmAt = Date.now() + this.services.interval();
      await storage.setAlarm(this.alarmAt);
    }
    for (const step of hosted) if (step.isDurable) step.drive("resume");
  }
}
