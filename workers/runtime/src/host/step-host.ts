// The step's host: one Durable Object per step attempt runs that step's agent loop.
//
// A Worker's `waitUntil` work is cut 30 s after its response, so the loop cannot run
// there. A Durable Object runs as long as it has work: pending binding calls keep it
// alive (compatibility date 2026-10-01 and later), and its alarm, which fires once per
// heartbeat interval, both beats for the step and keeps the object from going idle.
// The object keeps only this step: the accepted request, its last checkpoint and a log
// of the tool calls it started. After an eviction the next alarm finds the loop gone and
// continues it from the checkpoint. Once the callback is delivered the storage is erased.
import { DurableObject } from "cloudflare:workers";
import type { CallbackPayload } from "../../../../shared/contracts/runtime.ts";
import type { Scrubber } from "../../../../shared/secrets/scrub.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import { countedFetcher, SubrequestTally } from "../../../../shared/util/subrequests.ts";
import type { CallLog } from "../agent/tool-calls.ts";
import type { RuntimeEnv } from "../env.ts";
import { heartbeatInterval, runtimeId } from "../heartbeat.ts";
import { postCallback, postHeartbeat } from "../orchestrator-client.ts";
import { type AcceptedStep, crashedPayload, executeStep, StaleAttempt, type StepBindings, type StepCheckpoint, stepScrubber } from "../step.ts";

const STEP_KEY = "step";
const CHECKPOINT_KEY = "checkpoint";
const RESULT_KEY = "result";
const STARTED_PREFIX = "started:";
/** Left behind when the step is done, so a repeated start of the same attempt does not run it again. */
const FINISHED_KEY = "finished";

/** The callback could not be delivered; the next alarm sends it again. */
class CallbackUndelivered extends Error {}

/** The name of the host for one attempt of one step: a new attempt gets a new host. */
export function stepHostName(step: AcceptedStep): string {
  return JSON.stringify([step.request.run_id, step.request.step_id, step.request.attempt ?? 0]);
}

export class StepHost extends DurableObject<RuntimeEnv> {
  /** The loop running in this instance; lost with the instance, which is how the alarm tells an eviction. */
  private driving: Promise<void> | undefined;
  /** Alarms this instance has handled: each is an invocation of its own, with its heartbeat post. */
  private alarms = 0;

  /** Accepts the step and starts its loop. Idempotent: a repeated start of the same attempt changes nothing. */
  async start(step: AcceptedStep): Promise<void> {
    const storage = this.ctx.storage;
    const [stored, finished] = await Promise.all([storage.get<AcceptedStep>(STEP_KEY), storage.get(FINISHED_KEY)]);
    if (finished) return;
    if (!stored) {
      await storage.put(STEP_KEY, step);
      await storage.setAlarm(Date.now() + this.interval());
    }
    this.drive(step);
  }

  /** The heartbeat, the keep-alive and, after an eviction, the resume. */
  override async alarm(): Promise<void> {
    this.alarms += 1;
    const storage = this.ctx.storage;
    const step = await storage.get<AcceptedStep>(STEP_KEY);
    if (!step) return;
    if (!(await storage.get(RESULT_KEY))) {
      await postHeartbeat(this.env.ORCHESTRATOR, {
        runtime_id: runtimeId(this.env.KTSU_RUNTIME_ID),
        active: [{ run_id: step.request.run_id, step_id: step.request.step_id }],
      });
    }
    await storage.setAlarm(Date.now() + this.interval());
    this.drive(step);
  }

  private interval(): number {
    return heartbeatInterval(this.env.KTSU_HEARTBEAT_INTERVAL_MS);
  }

  /** Runs the step in this instance unless it already runs here. */
  private drive(step: AcceptedStep): void {
    if (this.driving) return;
    const scrub = stepScrubber(step.request);
    this.driving = this.runToCallback(step, scrub).catch(async (err: unknown) => {
      // Logged masked: the error may quote the step's credentials. The next alarm tries again.
      console.error(scrub.text(`runtime: step ${step.request.run_id}/${step.request.step_id}: ${errorMessage(err)}`));
      // Anything but a lost callback fails the step: the orchestrator hears of it rather than waiting for a timeout.
      if (!(err instanceof CallbackUndelivered)) await this.ctx.storage.put(RESULT_KEY, crashedPayload(step.request, scrub, err)).catch(() => {});
      this.driving = undefined;
    });
  }

  private async runToCallback(step: AcceptedStep, scrub: Scrubber): Promise<void> {
    const storage = this.ctx.storage;
    const { run_id, step_id } = step.request;
    const tally = new SubrequestTally();
    const bindings: StepBindings = {
      gateway: countedFetcher(this.env.GATEWAY, "gateway", tally),
      tools: countedFetcher(this.env.TOOLS, "tools", tally),
      orchestrator: countedFetcher(this.env.ORCHESTRATOR, "orchestrator", tally),
    };
    let result = await storage.get<CallbackPayload>(RESULT_KEY);
    if (!result) {
      try {
        result = await executeStep(bindings, step, scrub, await this.hooks(step));
      } catch (err) {
        if (!(err instanceof StaleAttempt)) throw err;
        console.log(`runtime: step ${run_id}/${step_id} attempt ${step.request.attempt ?? 0} is no longer current; stopped`);
        await this.erase();
        return;
      }
      await storage.put(RESULT_KEY, result);
    }
    if (!(await postCallback(bindings.orchestrator, step.request.callback_url, result))) {
      throw new CallbackUndelivered("the callback was not delivered; it is sent again at the next alarm");
    }
    console.log(
      JSON.stringify({ message: "runtime: step finished", run_id, step_id, status: result.status, subrequests: tally.summary(), alarms: this.alarms }),
    );
    await this.erase();
  }

  /** The checkpoint store and call log this host lends the loop; a resume starts from the stored checkpoint. */
  private async hooks(step: AcceptedStep) {
    const storage = this.ctx.storage;
    const resumeFrom = await storage.get<StepCheckpoint>(CHECKPOINT_KEY);
    const started = new Set((await storage.list({ prefix: STARTED_PREFIX })).keys());
    const inherited = new Set((step.request.messages ?? []).flatMap((m) => (m.tool_calls ?? []).map((call) => call.id)));
    const callLog: CallLog = {
      started: (id) => started.has(STARTED_PREFIX + id),
      askedHere: (id) => !inherited.has(id),
      recordStart: async (id) => {
        started.add(STARTED_PREFIX + id);
        await storage.put(STARTED_PREFIX + id, true);
      },
    };
    return {
      ...(resumeFrom ? { resumeFrom } : {}),
      callLog,
      saveCheckpoint: async (checkpoint: StepCheckpoint) => {
        try {
          await storage.put(CHECKPOINT_KEY, checkpoint);
        } catch (err) {
          // Too large for one stored value: a resume continues from the previous checkpoint.
          console.warn(`runtime: step ${step.request.run_id}/${step.request.step_id} checkpoint at turn ${checkpoint.turn} not kept: ${errorMessage(err)}`);
        }
      },
    };
  }

  /** The step is done here: nothing of it stays behind but the mark that it finished. */
  private async erase(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.put(FINISHED_KEY, Date.now());
  }
}
