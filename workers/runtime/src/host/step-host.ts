// The step's host: one Durable Object per step attempt runs that step's agent loop.
//
// A Worker's `waitUntil` work is cut 30 s after its response, so the loop cannot run
// there. A Durable Object runs as long as it has work: pending binding calls keep it
// alive (compatibility date 2026-10-01 and later), and its alarm, which fires once per
// heartbeat interval, both beats for the step and keeps the object from going idle.
// The object keeps only this step: the accepted request (stored before the loop starts, it
// is the step's checkpoint before its first LLM call), its last checkpoint and a log of the
// tool calls it started. After an eviction the next alarm finds the loop gone and continues
// it from the checkpoint. Once the callback is delivered the storage is erased.
import { DurableObject } from "cloudflare:workers";
import type { CallbackPayload } from "../../../../shared/contracts/runtime.ts";
import type { Scrubber } from "../../../../shared/secrets/scrub.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import { countedFetcher, SubrequestTally } from "../../../../shared/util/subrequests.ts";
import type { CallLog } from "../agent/tool-calls.ts";
import type { RuntimeEnv } from "../env.ts";
import { heartbeatInterval, runtimeId } from "../heartbeat.ts";
import { postCallback, postHeartbeat } from "../orchestrator-client.ts";
import { abortableFetcher, StepCancelled } from "./abortable.ts";
import { type AcceptedStep, crashedPayload, executeStep, StaleAttempt, type StepBindings, type StepCheckpoint, stepScrubber } from "../step.ts";

const STEP_KEY = "step";
const CHECKPOINT_KEY = "checkpoint";
const RESULT_KEY = "result";
const STARTED_PREFIX = "started:";
/** Left behind when the step is done, so a repeated start of the same attempt does not run it again. */
const FINISHED_KEY = "finished";

/**
 * A step still running after half a heartbeat interval becomes durable (its request stored, its
 * alarm set, so its first beat comes 1.5 intervals after the dispatch, well inside the heartbeat
 * timeout); one that ends sooner never writes. A tool call or a checkpoint makes it durable at once.
 */
const DURABLE_AFTER_INTERVALS = 0.5;

/** The callback could not be delivered; the next alarm sends it again. */
class CallbackUndelivered extends Error {}

export class StepHost extends DurableObject<RuntimeEnv> {
  /** The loop running in this instance; lost with the instance, which is how the alarm tells an eviction. */
  private driving: Promise<void> | undefined;
  /** The step's result exists (it is being delivered): heartbeats stop. */
  private resultReady = false;
  /** Set once the step has been made durable (or was found stored). */
  private durable: Promise<void> | undefined;
  /** Alarms this instance has handled: each is an invocation of its own, with its heartbeat post. */
  private alarms = 0;
  /** Per step driven here: aborts its calls in flight when the step is cancelled. */
  private readonly aborts = new Map<string, AbortController>();
  /** Set by `cancel`: nothing more starts here, nothing is written or posted. */
  private cancelled = false;

  /**
   * Accepts the step and starts its loop. Idempotent: a repeated start of the same attempt
   * changes nothing while the host holds the step, or once it finished durably.
   */
  async start(step: AcceptedStep): Promise<void> {
    if (this.driving || this.cancelled) return;
    const known = await this.ctx.storage.get([STEP_KEY, FINISHED_KEY]);
    if (known.has(FINISHED_KEY)) return;
    if (known.has(STEP_KEY)) {
      this.durable = Promise.resolve();
      this.drive(known.get(STEP_KEY) as AcceptedStep, "resume");
      return;
    }
    this.drive(step, "fresh");
  }

  /**
   * Stores the request and arms the alarm, once. From then on the alarm beats for the step and
   * resumes it after an eviction. Until then a lost host leaves nothing behind: it has run no
   * tool (a tool call makes it durable first), and the orchestrator dispatches the step again.
   */
  private makeDurable(step: AcceptedStep): Promise<void> {
    if (this.cancelled) return Promise.reject(new StepCancelled());
    this.durable ??= (async () => {
      const storage = this.ctx.storage;
      // Issued in one turn, so the two writes are committed together.
      void storage.put(STEP_KEY, step);
      await storage.setAlarm(Date.now() + this.interval());
    })();
    return this.durable;
  }

  /** The heartbeat, the keep-alive and, after an eviction, the resume. */
  override async alarm(): Promise<void> {
    this.alarms += 1;
    const storage = this.ctx.storage;
    const step = await storage.get<AcceptedStep>(STEP_KEY);
    if (!step) return;
    if (!this.resultReady && !(await storage.get(RESULT_KEY))) {
      await postHeartbeat(this.env.ORCHESTRATOR, {
        runtime_id: runtimeId(this.env.KTSU_RUNTIME_ID),
        active: [{ run_id: step.request.run_id, step_id: step.request.step_id }],
      });
    }
    await storage.setAlarm(Date.now() + this.interval());
    this.durable ??= Promise.resolve();
    this.drive(step, "resume");
  }

  private interval(): number {
    return heartbeatInterval(this.env.KTSU_HEARTBEAT_INTERVAL_MS);
  }

  /**
   * Runs the step in this instance unless it already runs here. `fresh`: nothing of the
   * step is stored beyond the request, so the loop starts without reading its storage.
   */
  private drive(step: AcceptedStep, from: "fresh" | "resume"): void {
    if (this.driving || this.cancelled) return;
    const scrub = stepScrubber(step.request);
    this.driving = this.runToCallback(step, scrub, from).catch(async (err: unknown) => {
      if (this.cancelled) return;
      // Logged masked: the error may quote the step's credentials. The next alarm tries again.
      console.error(scrub.text(`runtime: step ${step.request.run_id}/${step.request.step_id}: ${errorMessage(err)}`));
      // Anything but a lost callback fails the step: the orchestrator hears of it rather than waiting for a timeout.
      if (!(err instanceof CallbackUndelivered)) {
        const crashed = crashedPayload(step.request, scrub, err);
        await this.makeDurable(step)
          .then(() => this.ctx.storage.put(RESULT_KEY, crashed))
          .catch(() => {});
      }
      this.driving = undefined;
    });
  }

  private async runToCallback(step: AcceptedStep, scrub: Scrubber, from: "fresh" | "resume"): Promise<void> {
    const storage = this.ctx.storage;
    const { run_id, step_id } = step.request;
    const tally = new SubrequestTally();
    const abort = new AbortController();
    this.aborts.set(step_id, abort);
    const bindings: StepBindings = {
      gateway: abortableFetcher(countedFetcher(this.env.GATEWAY, "gateway", tally), abort.signal),
      tools: abortableFetcher(countedFetcher(this.env.TOOLS, "tools", tally), abort.signal),
      orchestrator: abortableFetcher(countedFetcher(this.env.ORCHESTRATOR, "orchestrator", tally), abort.signal),
    };
    let result = from === "resume" ? await storage.get<CallbackPayload>(RESULT_KEY) : undefined;
    if (!result) {
      const durableTimer = setTimeout(() => {
        this.makeDurable(step).catch((err: unknown) => console.error(`runtime: step ${run_id}/${step_id} could not be made durable: ${errorMessage(err)}`));
      }, this.interval() * DURABLE_AFTER_INTERVALS);
      try {
        result = await executeStep(bindings, step, scrub, await this.hooks(step, from));
      } catch (err) {
        if (!(err instanceof StaleAttempt)) throw err;
        console.log(`runtime: step ${run_id}/${step_id} attempt ${step.request.attempt ?? 0} is no longer current; stopped`);
        await this.erase();
        return;
      } finally {
        clearTimeout(durableTimer);
        this.aborts.delete(step_id);
      }
    }
    // A cancelled step's result (its aborted call's failure) is never posted: the run has ended.
    if (this.cancelled) {
      console.log(`runtime: step ${run_id}/${step_id} cancelled; stopped`);
      return;
    }
    this.resultReady = true;
    if (!(await postCallback(bindings.orchestrator, step.request.callback_url, result))) {
      // Kept only now: an eviction before a first delivery asks the last turn again rather than costing every step a write.
      await this.makeDurable(step);
      await storage.put(RESULT_KEY, result);
      throw new CallbackUndelivered("the callback was not delivered; it is sent again at the next alarm");
    }
    console.log(
      JSON.stringify({ message: "runtime: step finished", run_id, step_id, status: result.status, subrequests: tally.summary(), alarms: this.alarms }),
    );
    await this.erase();
  }

  /** The checkpoint store and call log this host lends the loop; a resume starts from the stored checkpoint. */
  private async hooks(step: AcceptedStep, from: "fresh" | "resume") {
    const storage = this.ctx.storage;
    const resumeFrom = from === "resume" ? await storage.get<StepCheckpoint>(CHECKPOINT_KEY) : undefined;
    const started = new Set(from === "resume" ? (await storage.list({ prefix: STARTED_PREFIX })).keys() : []);
    const inherited = new Set((step.request.messages ?? []).flatMap((m) => (m.tool_calls ?? []).map((call) => call.id)));
    const callLog: CallLog = {
      started: (id) => started.has(STARTED_PREFIX + id),
      askedHere: (id) => !inherited.has(id),
      recordStart: async (id) => {
        started.add(STARTED_PREFIX + id);
        await this.makeDurable(step);
        await storage.put(STARTED_PREFIX + id, true);
      },
    };
    return {
      ...(resumeFrom ? { resumeFrom } : {}),
      callLog,
      saveCheckpoint: async (checkpoint: StepCheckpoint) => {
        try {
          await this.makeDurable(step);
          await storage.put(CHECKPOINT_KEY, checkpoint);
        } catch (err) {
          // Too large for one stored value: a resume continues from the previous checkpoint.
          console.warn(`runtime: step ${step.request.run_id}/${step.request.step_id} checkpoint at turn ${checkpoint.turn} not kept: ${errorMessage(err)}`);
        }
      },
    };
  }

  /**
   * The run was cancelled: every step driven here has its LLM or tool call in flight aborted,
   * and no other call starts, nothing is posted back and nothing more is stored. What the host
   * kept is erased, with the mark that the step finished, so neither a repeated start nor an
   * alarm after an eviction runs it again.
   */
  async cancel(): Promise<void> {
    this.cancelled = true;
    for (const abort of this.aborts.values()) abort.abort(new StepCancelled());
    this.aborts.clear();
    const storage = this.ctx.storage;
    // Issued in one turn: committed together.
    void storage.deleteAlarm();
    void storage.deleteAll();
    await storage.put(FINISHED_KEY, Date.now());
  }

  /** The step is done here: nothing of it stays behind but, if it had been made durable, the mark that it finished. */
  private async erase(): Promise<void> {
    if (!this.durable) return;
    await this.durable;
    const storage = this.ctx.storage;
    // Issued in one turn: committed together.
    void storage.deleteAlarm();
    void storage.deleteAll();
    await storage.put(FINISHED_KEY, Date.now());
  }
}
