// One step attempt running in a host: its loop, its checkpoint and call log in the host's
// storage (under its own keys, see step-keys.ts), its callback, and erasing it once delivered.
import type { CallbackPayload } from "../../../../shared/contracts/runtime.ts";
import type { Scrubber } from "../../../../shared/secrets/scrub.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import { countedBinding, type SubrequestCounter, SubrequestTally } from "../../../../shared/util/subrequests.ts";
import type { CallLog } from "../agent/tool-calls.ts";
import type { RuntimeEnv } from "../env.ts";
import type { Delivered, HandedItem } from "../orchestrator-client.ts";
import { type AcceptedStep, crashedPayload, executeStep, StaleAttempt, type StepBindings, type StepCheckpoint, stepScrubber } from "../step.ts";
import { abortableFetcher, StepCancelled } from "./abortable.ts";
import { type StepKey, stepKey, stepKeys } from "./step-keys.ts";

/**
 * A step still running after half a heartbeat interval becomes durable (its request stored, the
 * host's alarm set, so its first beat comes at most 1.5 intervals after the dispatch, well inside
 * the heartbeat timeout); one that ends sooner never writes. A tool call or a checkpoint makes it
 * durable at once.
 */
const DURABLE_AFTER_INTERVALS = 0.5;

/**
 * How many items in a row one of a host's slots takes with its results before it lets the next one
 * be dispatched. The items handed over run in the invocation of the dispatch that started the
 * first: each item makes at most 2 subrequests (its LLM call and its share of a report), 34 for a
 * chain of 17, inside the 50 a Workers Free invocation may make. The host as a whole also asks for
 * no more items than its current invocation's subrequests allow (invocation-budget.ts).
 */
const MAX_CHAINED_ITEMS = 16;

/** What a step needs from the host it runs in. */
export interface StepHostServices {
  readonly storage: DurableObjectStorage;
  readonly env: RuntimeEnv;
  interval(): number;
  /** Stores the step's request and makes sure the host's alarm is armed: from then on the step is beaten for and resumed. */
  persist(step: AcceptedStep): Promise<void>;
  /** Deletes what a finished step stored (`keys`), keeping the mark that it finished, and forgets it. */
  erase(step: HostedStep, keys: string[]): Promise<void>;
  /** Alarms the host instance has handled, for the step's closing log line. */
  alarms(): number;
  /** Accepts a step as a dispatch to the host does: the next fanout item handed over with a result, `chain` long. */
  start(step: AcceptedStep, chain: number): Promise<void>;
  /** A fanout item handed with a result: started, or queued behind the step it is to wait for (`after_step`). */
  take(handed: HandedItem, chain: number): Promise<void>;
  /** Delivers a step's result, with the host's other results ready at the same time (result-outbox.ts). */
  report(callbackUrl: string, payload: CallbackPayload, takeNext: boolean): Promise<Delivered | null>;
  /** Counts every subrequest the host makes in its current invocation (invocation-budget.ts). */
  readonly subrequests: SubrequestCounter;
}

/** The callback could not be delivered; the next alarm sends it again. */
class CallbackUndelivered extends Error {}

export class HostedStep {
  readonly key: StepKey;
  /** The loop running in this instance; lost with the instance, which is how the alarm tells an eviction. */
  private driving: Promise<void> | undefined;
  /** The step's result exists (it is being delivered): heartbeats stop. */
  resultReady = false;
  /** Set once the step has been made durable (or was found stored). */
  private durable: Promise<void> | undefined;
  /** Tool-call log keys written for this step, deleted with it. */
  private readonly startedKeys = new Set<string>();
  /** Aborts the step's calls in flight when its run is cancelled; every later call fails before it is sent. */
  private readonly abort = new AbortController();
  /** The fanout item handed to wait behind this step (run/handoff.ts): it starts as soon as this step ends. */
  private queued: { step: AcceptedStep; chain: number } | undefined;
  /**
   * The step id of the item that waited behind this step and was started here. Kept in memory only
   * and told with every report of this step's result: a report from an instance that never had it
   * (after an eviction) says nothing, and the orchestrator dispatches that item again if no
   * heartbeat of it comes before its deadline.
   */
  private startedNext: string | undefined;

  readonly step: AcceptedStep;
  private readonly host: StepHostServices;

  /** Steps handed over in a row before this one, since the last dispatch to the host (0: dispatched or resumed). */
  private readonly chain: number;

  constructor(step: AcceptedStep, host: StepHostServices, stored: boolean, chain = 0) {
    this.step = step;
    this.host = host;
    this.chain = chain;
    this.key = stepKey(step);
    if (stored) this.durable = Promise.resolve();
  }

  get isDriving(): boolean {
    return this.driving !== undefined;
  }

  /** Settles when the loop running in this instance (if any) has ended. */
  settled(): Promise<void> {
    return this.driving ?? Promise.resolve();
  }

  get isDurable(): boolean {
    return this.durable !== undefined;
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * The step's run was cancelled: the LLM or tool call in flight is aborted, no other starts,
   * nothing more is stored and no result is posted.
   */
  cancel(): void {
    this.queued = undefined;
    this.abort.abort(new StepCancelled());
  }

  /**
   * Keeps `step` to start once this step ends (its result ready, or its loop stopped). False when
   * this step no longer runs here or already has one waiting: the caller starts it now.
   */
  queueNext(step: AcceptedStep, chain: number): boolean {
    if (!this.isDriving || this.resultReady || this.cancelled || this.queued) return false;
    this.queued = { step, chain };
    return true;
  }

  /** The item waiting behind this step starts: the orchestrator counts it as running from this step's result on. */
  private startQueued(): void {
    const queued = this.queued;
    this.queued = undefined;
    if (!queued || this.cancelled) return;
    const { run_id, step_id } = queued.step.request;
    this.startedNext = step_id;
    this.host
      .start(queued.step, queued.chain)
      .catch((err: unknown) => console.error(`runtime: step ${run_id}/${step_id} could not start: ${errorMessage(err)}`));
  }

  /** Stores the request and arms the host's alarm, once. */
  makeDurable(): Promise<void> {
    if (this.cancelled) return Promise.reject(new StepCancelled());
    this.durable ??= this.host.persist(this.step);
    return this.durable;
  }

  /**
   * Runs the step in this instance unless it already runs here. `fresh`: the step has stored
   * nothing, so the loop starts without reading storage; `resume`: it continues from what it stored.
   */
  drive(from: "fresh" | "resume"): void {
    if (this.driving || this.cancelled) return;
    const { request } = this.step;
    const scrub = stepScrubber(request);
    this.driving = this.runToCallback(scrub, from)
      .catch(async (err: unknown) => {
        if (this.cancelled) return;
        // Logged masked: the error may quote the step's credentials. The next alarm tries again.
        console.error(scrub.text(`runtime: step ${request.run_id}/${request.step_id}: ${errorMessage(err)}`));
        // Anything but a lost callback fails the step: the orchestrator hears of it rather than waiting for a timeout.
        if (!(err instanceof CallbackUndelivered)) {
          const crashed = crashedPayload(request, scrub, err);
          await this.makeDurable()
            .then(() => this.host.storage.put(stepKeys.result(this.key), crashed))
            .catch(() => {});
        }
        this.driving = undefined;
      })
      // However this step ended here, the item waiting behind it runs (the orchestrator expects it to).
      .finally(() => this.startQueued());
  }

  private async runToCallback(scrub: Scrubber, from: "fresh" | "resume"): Promise<void> {
    const { storage, env } = this.host;
    const { request } = this.step;
    const { run_id, step_id } = request;
    const tally = new SubrequestTally();
    const counted: SubrequestCounter = {
      add: (binding) => {
        tally.add(binding);
        this.host.subrequests.add(binding);
      },
    };
    const signal = this.abort.signal;
    const bindings: StepBindings = {
      gateway: abortableFetcher(countedBinding(env.GATEWAY, "gateway", counted), signal),
      tools: abortableFetcher(countedBinding(env.TOOLS, "tools", counted), signal),
      orchestrator: abortableFetcher(countedBinding(env.ORCHESTRATOR, "orchestrator", counted), signal),
    };
    let result = from === "resume" ? await storage.get<CallbackPayload>(stepKeys.result(this.key)) : undefined;
    if (!result) {
      const durableTimer = setTimeout(() => {
        this.makeDurable().catch((err: unknown) => console.error(`runtime: step ${run_id}/${step_id} could not be made durable: ${errorMessage(err)}`));
      }, this.host.interval() * DURABLE_AFTER_INTERVALS);
      try {
        result = await executeStep(bindings, this.step, scrub, await this.hooks(from));
      } catch (err) {
        if (!(err instanceof StaleAttempt)) throw err;
        console.log(`runtime: step ${run_id}/${step_id} attempt ${request.attempt ?? 0} is no longer current; stopped`);
        await this.erase();
        return;
      } finally {
        clearTimeout(durableTimer);
      }
    }
    // A cancelled step's result (its aborted call's failure) is never posted: the run has ended.
    if (this.cancelled) {
      console.log(`runtime: step ${run_id}/${step_id} cancelled; stopped`);
      return;
    }
    this.resultReady = true;
    // Started before the report's round trip: the slot's next item does not wait for it.
    this.startQueued();
    const reported = this.startedNext === undefined ? result : { ...result, started_next: this.startedNext };
    const delivered = await this.host.report(request.callback_url, reported, this.chain < MAX_CHAINED_ITEMS);
    if (!delivered) {
      // Kept only now: an eviction before a first delivery asks the last turn again rather than costing every step a write.
      await this.makeDurable();
      await storage.put(stepKeys.result(this.key), result);
      throw new CallbackUndelivered("the callback was not delivered; it is sent again at the next alarm");
    }
    console.log(
      JSON.stringify({ message: "runtime: step finished", run_id, step_id, status: result.status, subrequests: tally.summary(), alarms: this.host.alarms() }),
    );
    await this.erase();
    // Items the orchestrator handed to this host with the answer: committed as running there, started like a dispatch.
    for (const handed of delivered.next) await this.host.take(handed, this.chain + 1);
  }

  /** The checkpoint store and call log the host lends the loop; a resume starts from the stored checkpoint. */
  private async hooks(from: "fresh" | "resume") {
    const storage = this.host.storage;
    const { request } = this.step;
    const startedPrefix = stepKeys.startedPrefix(this.key);
    const resumeFrom = from === "resume" ? await storage.get<StepCheckpoint>(stepKeys.checkpoint(this.key)) : undefined;
    if (from === "resume") for (const key of (await storage.list({ prefix: startedPrefix })).keys()) this.startedKeys.add(key);
    const inherited = new Set((request.messages ?? []).flatMap((m) => (m.tool_calls ?? []).map((call) => call.id)));
    const callLog: CallLog = {
      started: (id) => this.startedKeys.has(startedPrefix + id),
      askedHere: (id) => !inherited.has(id),
      recordStart: async (id) => {
        this.startedKeys.add(startedPrefix + id);
        await this.makeDurable();
        await storage.put(startedPrefix + id, true);
      },
    };
    return {
      ...(resumeFrom ? { resumeFrom } : {}),
      callLog,
      saveCheckpoint: async (checkpoint: StepCheckpoint) => {
        try {
          await this.makeDurable();
          await storage.put(stepKeys.checkpoint(this.key), checkpoint);
        } catch (err) {
          // Too large for one stored value: a resume continues from the previous checkpoint.
          console.warn(`runtime: step ${request.run_id}/${request.step_id} checkpoint at turn ${checkpoint.turn} not kept: ${errorMessage(err)}`);
        }
      },
    };
  }

  /** The step is done here: nothing of it stays behind but, if it had been made durable, the mark that it finished. */
  private async erase(): Promise<void> {
    if (this.durable) await this.durable;
    const key = this.key;
    await this.host.erase(this, [stepKeys.step(key), stepKeys.checkpoint(key), stepKeys.result(key), ...this.startedKeys]);
  }
}
