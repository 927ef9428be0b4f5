// A host's results on their way to the orchestrator. A host runs several items of a fanout at
// once; results that are ready together go in ONE `completeMany` call, which the run applies with
// one commit and answers with as many next items. A result waits only while another step of the
// host is about to finish: at most GATHER_MS, and never while nothing else runs here.
import { sleep } from "../../../../shared/util/durable-object-retries.ts";
import type { CallbackPayload } from "../../../../shared/contracts/runtime.ts";
import type { CompleteAnswer } from "../../../../shared/contracts/service-rpc.ts";
import type { InvocationBudget } from "./invocation-budget.ts";
import { callbackTarget, type Delivered, type HandedItem, type OrchestratorBinding, postCallback } from "../orchestrator-client.ts";

/** How long a ready result waits for the host's other steps' results to go with it. */
const GATHER_MS = 4;
/** At most what one reported result's slot takes: an item to run and one to wait behind it (the orchestrator's run/handoff.ts). */
const ITEMS_PER_RESULT = 2;
/** Transient failures (transport) of a report are retried, as a single result's are. */
const REPORT_ATTEMPTS = 3;

interface Queued {
  runId: string;
  stepId: string;
  callbackUrl: string;
  payload: CallbackPayload;
  takeNext: boolean;
  settle(delivered: Delivered | null): void;
}

export class ResultOutbox {
  private queued: Queued[] = [];
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly orchestrator: OrchestratorBinding;
  /** How many of the host's steps are running and have no result yet. */
  private readonly stillRunning: () => number;

  private readonly budget: InvocationBudget;

  /** `orchestrator` counted in `budget`, which bounds how many next items a report asks for. */
  constructor(orchestrator: OrchestratorBinding, stillRunning: () => number, budget: InvocationBudget) {
    this.orchestrator = orchestrator;
    this.stillRunning = stillRunning;
    this.budget = budget;
  }

  /**
   * Delivers a step's result, with others that are ready at the same time. Settles as
   * `postCallback` does: the items handed to this step's slot, or null when it was not delivered.
   */
  send(callbackUrl: string, payload: CallbackPayload, takeNext: boolean): Promise<Delivered | null> {
    const target = callbackTarget(callbackUrl);
    if (!target) return postCallback(this.orchestrator, callbackUrl, payload, takeNext);
    return new Promise((settle) => {
      this.queued.push({ runId: target.runId, stepId: target.stepId, callbackUrl, payload, takeNext, settle });
      this.schedule();
    });
  }

  /** The run was cancelled: results not yet sent never are (each counts as undelivered). */
  discard(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.queued.splice(0)) entry.settle(null);
  }

  /** Sends now when nothing else is about to finish, else after GATHER_MS; one report in flight at a time. */
  private schedule(): void {
    if (this.sending || this.queued.length === 0) return;
    if (this.stillRunning() === 0) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => void this.flush(), GATHER_MS);
  }

  private async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending || this.queued.length === 0) return;
    this.sending = true;
    // A host serves one run; a result of another run (never expected) goes alone.
    const runId = this.queued[0]!.runId;
    const batch = this.queued.filter((entry) => entry.runId === runId);
    this.queued = this.queued.filter((entry) => entry.runId !== runId);
    try {
      await this.report(runId, batch);
    } finally {
      this.sending = false;
      this.schedule();
    }
  }

  private async report(runId: string, batch: Queued[]): Promise<void> {
    const results = batch.map((entry) => ({ step_id: entry.stepId, payload: entry.payload }));
    for (let attempt = 1; attempt <= REPORT_ATTEMPTS; attempt++) {
      // Only as many items as the invocation's subrequests allow, this report counted. A result
      // whose slot is free may take two: one to run, one to wait behind it.
      const takeNext = Math.min(ITEMS_PER_RESULT * batch.filter((entry) => entry.takeNext).length, this.budget.items(this.stillRunning() + 1));
      try {
        handOut(batch, await this.orchestrator.completeMany(runId, results, { take_next: takeNext, queue: true }));
        return;
      } catch (err) {
        if (err instanceof RangeError) break; // too deep for the structured clone: each goes alone, as JSON if need be
        console.warn(`runtime: report of ${batch.length} result(s) for run ${runId} failed (try ${attempt}): ${String(err)}`);
      }
      if (attempt < REPORT_ATTEMPTS) await sleep(250 * attempt);
    }
    // Not delivered together: each result goes alone, taking no item (a result the call could not carry is sent as JSON).
    await Promise.all(batch.map(async (entry) => entry.settle(await postCallback(this.orchestrator, entry.callbackUrl, entry.payload))));
  }
}

/**
 * The items handed to the host, each to the result whose slot it takes (`placements`). An
 * orchestrator deployed before the queue answers without them: one item to each result that
 * asked, in order, each to run at once.
 */
function handOut(batch: Queued[], { next, placements }: CompleteAnswer): void {
  if (placements) {
    const bySlot = new Map<string, HandedItem[]>();
    next.forEach((request, i) => {
      const { for_step, after_step } = placements[i] ?? { for_step: "" };
      const mine = bySlot.get(for_step) ?? [];
      mine.push(after_step === undefined ? { request } : { request, after_step });
      bySlot.set(for_step, mine);
    });
    for (const entry of batch) entry.settle({ next: bySlot.get(entry.stepId) ?? [] });
    return;
  }
  let given = 0;
  for (const entry of batch) entry.settle({ next: entry.takeNext && given < next.length ? [{ request: next[given++]! }] : [] });
}
