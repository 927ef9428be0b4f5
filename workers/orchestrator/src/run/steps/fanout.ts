// `for_each` agent steps: one runtime invocation per item, at most
// `concurrency` at a time, each item's result kept in its own storage key, and
// the `{"results": [...]}` output (or the failure policy) once all have finished.

import type { CompiledAgentStep } from "../../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../../shared/contracts/metrics.ts";
import type { CallbackPayload, InvokeRequest, StepCall } from "../../../../../shared/contracts/runtime.ts";
import { MAX_RECORDED_CALLS } from "../../../../../shared/otel/limits.ts";
import { fanoutHostKey } from "../../../../../shared/contracts/step-host.ts";
import { evaluate, type JsonValue } from "../../../../../shared/expr/index.ts";
import {
  aggregateFanout,
  fanoutConcurrency,
  pagedResultsOutput,
  processReservedFields,
  resultEntry,
  resultsBytes,
  selectFanoutItems,
} from "../../engine/semantics.ts";
import { jsonBytes, MAX_OUTPUT_BYTES, measureOutput } from "../../engine/limits.ts";
import type { RunContext } from "../context.ts";
import { type FanoutState, type ItemState, type StepState, ZERO_METRICS } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";
import { invokeRequest } from "./agent-dispatch.ts";
import { itemOutcome } from "../item-outcome.ts";
import type { Handoff } from "../handoff.ts";
import { errorMessage } from "../../../../../shared/util/errors.ts";

export async function startFanout(ctx: RunContext, step: CompiledAgentStep, state: StepState): Promise<StepOutcome | null> {
  const forEach = step.for_each!;
  let items: JsonValue;
  try {
    // `from` sees the standard context, so `step.X`, `X` and `params` all work.
    items = evaluate(forEach.from, ctx.scope.context({ env: false }));
  } catch (err) {
    return { kind: "failed", error: `for_each from "${forEach.from}": ${errorMessage(err)}` };
  }
  const selected = selectFanoutItems(forEach.from, items, forEach.max_items);
  if (!selected.ok) return { kind: "failed", error: selected.error };
  const list = selected.items;
  if (list.length === 0) return { kind: "output", output: { results: [] }, metrics: { ...ZERO_METRICS } };
  const concurrency = fanoutConcurrency(forEach.concurrency, list.length);
  state.fanout = { total: list.length, concurrency, max_failures: forEach.max_failures, next: 0, running: 0, finished: 0 };
  for (const [index, item] of list.entries()) ctx.state.putItem(step.id, { index, status: "pending", item, attempt: 0 });
  ctx.state.touchStep(state);
  return pumpFanout(ctx, step, state);
}

/**
 * Dispatches pending items up to the step's concurrency, and hands items to the reporting host's
 * slots (run/handoff.ts); the outcome once every item has finished.
 */
export async function pumpFanout(ctx: RunContext, step: CompiledAgentStep, state: StepState, handoff?: Handoff): Promise<StepOutcome | null> {
  const fanout = state.fanout!;
  const batch: Array<{ item: ItemState; request: InvokeRequest }> = [];
  let handed = false;
  /**
   * The next item to run (one a host lost first, then the next pending one), committed as running
   * (its request built), or null when building it failed the item.
   */
  const takeItem = (deadline: boolean): { item: ItemState; request: InvokeRequest } | null => {
    const item = ctx.state.item(step.id, fanout.redispatch?.shift() ?? fanout.next++)!;
    if (fanout.redispatch?.length === 0) delete fanout.redispatch;
    fanout.running += 1;
    item.status = "running";
    item.attempt += 1;
    delete item.host_key;
    if (deadline) item.heartbeat_deadline_at = Date.now() + ctx.heartbeatTimeoutMs();
    try {
      const scope = ctx.scope.valueScope({ item: { item: item.item, index: item.index } });
      return { item, request: invokeRequest(ctx, step, `${step.id}.${item.index}`, item.attempt, scope) };
    } catch (err) {
      finishItem(ctx, step, state, item, { error: errorMessage(err) });
      return null;
    } finally {
      ctx.state.putItem(step.id, item);
    }
  };
  // Free slots: the reporting host's first (the item runs there at once), then dispatches.
  while (fanout.running - (fanout.queued ?? 0) < fanout.concurrency && itemsLeft(fanout) > 0) {
    const taken = takeItem(true);
    if (!taken) continue;
    const offer = handoff?.claimFree();
    if (offer === undefined) {
      taken.request.host_key = fanoutHostKey(step.id, taken.item.index, fanout.concurrency);
      batch.push(taken);
    } else {
      taken.request.host_key = taken.item.host_key = offer.hostKey;
      handoff!.giveToRun(offer, taken.request, taken.item.index);
      handed = true;
    }
  }
  // One item waits behind each offered slot's running item, while every slot has more work coming
  // (near the end, waiting behind a slow item could keep an item from a slot that is free sooner).
  for (let offer = handoff?.claimQueue(); offer && itemsLeft(fanout) > fanout.concurrency; offer = handoff?.claimQueue()) {
    const ahead = ctx.state.item(step.id, offer.behind!);
    if (ahead?.status !== "running" || ahead.queued_next !== undefined) continue;
    const taken = takeItem(false);
    if (!taken) continue;
    taken.item.queued_after = ahead.index;
    ahead.queued_next = taken.item.index;
    fanout.queued = (fanout.queued ?? 0) + 1;
    taken.request.host_key = taken.item.host_key = offer.hostKey;
    ctx.state.putItem(step.id, taken.item);
    ctx.state.putItem(step.id, ahead);
    handoff!.giveToQueue(offer, taken.request, `${step.id}.${ahead.index}`);
    handed = true;
  }
  ctx.state.persistStep(state);
  if (batch.length > 0 || handed) {
    // Durable before the runtime hears of it: a callback can never find unknown state.
    await ctx.commit();
    // One call to the runtime, which makes one per host: a fanout's start costs ceil(concurrency / 8) host calls, not concurrency.
    const failures = batch.length > 0 ? await ctx.dispatchMany(batch.map(({ request }) => request)) : [];
    failures.forEach((failure, i) => {
      if (failure) finishItem(ctx, step, state, batch[i]!.item, { error: failure });
    });
  }
  return fanoutDone(ctx, step, state);
}

/** Items not yet handed to any host: those never dispatched and those a host lost before starting them. */
function itemsLeft(fanout: FanoutState): number {
  return fanout.total - fanout.next + (fanout.redispatch?.length ?? 0);
}

function finishItem(
  ctx: RunContext,
  step: CompiledAgentStep,
  state: StepState,
  item: ItemState,
  result: { output?: Record<string, unknown>; error?: string; metrics?: StepMetrics; calls?: StepCall[]; startedNext?: string },
): void {
  if (item.status !== "running") return;
  // Masked before it is kept: an item's output is stored on its own, before the step's aggregate is.
  const scrub = ctx.state.scrubber();
  // The item's LLM and tool calls with their times: its spans in the run's trace.
  if (result.calls && result.calls.length > 0) item.calls = scrub.value(result.calls).slice(0, MAX_RECORDED_CALLS);
  const output = result.output ? scrub.value(result.output) : undefined;
  // Each item is one stored value, so an item's output has the step output's limit.
  const measured = output ? measureOutput(output) : { bytes: 2 };
  const error = "error" in measured ? `item ${item.index}: ${measured.error}` : result.error;
  if (result.metrics) item.metrics = result.metrics;
  if (error !== undefined) {
    item.status = "failed";
    item.error = scrub.text(error);
    item.bytes = jsonBytes(resultEntry(itemOutcome(item), item.index));
  } else {
    item.status = "ok";
    if (output) item.output = output;
    item.bytes = "bytes" in measured ? measured.bytes : 2;
  }
  delete item.heartbeat_deadline_at;
  delete item.start_unconfirmed;
  leaveQueue(ctx, step, state, item, result.startedNext);
  state.fanout!.bytes = (state.fanout!.bytes ?? 0) + item.bytes;
  state.fanout!.running -= 1;
  state.fanout!.finished += 1;
  ctx.state.putItem(step.id, item);
  ctx.state.persistStep(state);
}

/**
 * An item that ends takes its slot's queue with it: the item waiting behind it now counts as
 * running, its heartbeats watched from now on. The host started it when this one's result was
 * ready and says so (`startedNext`); a result that does not say so (its host lost the waiting item
 * with an eviction, the item was handed just after this result was reported, or this item timed
 * out) leaves it `start_unconfirmed`. An item that ends while still waiting leaves the item it
 * waited behind.
 */
function leaveQueue(ctx: RunContext, step: CompiledAgentStep, state: StepState, item: ItemState, startedNext?: string): void {
  const fanout = state.fanout!;
  if (item.queued_after !== undefined) {
    const ahead = ctx.state.item(step.id, item.queued_after);
    if (ahead?.queued_next === item.index) {
      delete ahead.queued_next;
      ctx.state.putItem(step.id, ahead);
    }
    delete item.queued_after;
    fanout.queued = Math.max(0, (fanout.queued ?? 0) - 1);
  }
  if (item.queued_next !== undefined) {
    const next = ctx.state.item(step.id, item.queued_next);
    if (next?.status === "running" && next.queued_after === item.index) {
      delete next.queued_after;
      fanout.queued = Math.max(0, (fanout.queued ?? 0) - 1);
      next.heartbeat_deadline_at = Date.now() + ctx.heartbeatTimeoutMs();
      if (startedNext !== `${step.id}.${next.index}`) next.start_unconfirmed = true;
      ctx.state.putItem(step.id, next);
    }
    delete item.queued_next;
  }
}

/**
 * When every item has finished: the `{"results": [...]}` output or the policy failure, metrics
 * summed. Results larger than a step output stay with the items and are paged.
 */
function fanoutDone(ctx: RunContext, step: CompiledAgentStep, state: StepState): StepOutcome | null {
  const fanout = state.fanout!;
  if (fanout.finished < fanout.total) return { kind: "waiting" };
  const items: ItemState[] = [];
  for (let i = 0; i < fanout.total; i++) items.push(ctx.state.item(step.id, i)!);
  const aggregate = aggregateFanout(items.map(itemOutcome), fanout.max_failures);
  const metrics = aggregate.metrics;
  if (aggregate.kind !== "ok") return { kind: "failed", error: aggregate.error, metrics };
  const reflected = metrics.reflected ?? false;
  const bytes = resultsBytes(items.map((item) => item.bytes ?? jsonBytes(resultEntry(itemOutcome(item), item.index))));
  if (bytes <= MAX_OUTPUT_BYTES) return { kind: "output", output: aggregate.output, metrics, reflected };
  const paged = { items: fanout.total, bytes };
  return { kind: "output", output: pagedResultsOutput(paged), metrics, reflected, paged };
}

/** Settles the step when the pump says every item has finished. */
export async function pumpAndSettle(ctx: RunContext, step: CompiledAgentStep, state: StepState, handoff?: Handoff): Promise<void> {
  const outcome = await pumpFanout(ctx, step, state, handoff);
  if (outcome && outcome.kind !== "waiting") ctx.settle(step, outcome);
}

/**
 * One item's runtime result, applied in memory: reserved fields apply per item, with the step's
 * confidence threshold. The caller pumps the fanout afterwards (once for several results), which
 * commits. False: the item was not running (nothing changed).
 */
export function applyItemResult(
  ctx: RunContext,
  step: CompiledAgentStep,
  state: StepState,
  item: ItemState,
  payload: CallbackPayload,
  metrics: StepMetrics,
  handoff?: Handoff,
): boolean {
  if (item.status !== "running") return false;
  handoff?.offer(item.host_key ?? fanoutHostKey(step.id, item.index, state.fanout!.concurrency), `${step.id}.${item.index}`, item.queued_next);
  const { calls, started_next: startedNext } = payload;
  if (payload.status === "ok") {
    const reserved = processReservedFields(payload.output ?? {}, step.confidence_threshold);
    if (reserved.kind === "fail") finishItem(ctx, step, state, item, { error: `agent step failed: ${reserved.error}`, metrics, calls, startedNext });
    else finishItem(ctx, step, state, item, { output: reserved.output, metrics, calls, startedNext });
  } else {
    // Approvals inside fanout items are not supported: the item fails with a clear error.
    const error = payload.status === "failed" ? `agent step failed: ${payload.error}` : "approvals are not supported inside for_each items";
    finishItem(ctx, step, state, item, { error, metrics, calls, startedNext });
  }
  return true;
}

/**
 * The alarm's liveness check: items whose heartbeats stopped fail (the step goes on with the rest),
 * except one whose host never showed it started it (`start_unconfirmed`): that one is dispatched
 * again (the pump that follows, `resumeFanout`, sends it).
 */
export function checkItemsLiveness(ctx: RunContext, step: CompiledAgentStep, state: StepState, at: number, timeoutMs: number): void {
  const seconds = Math.round(timeoutMs / 1000);
  for (let i = 0; i < (state.fanout?.total ?? 0); i++) {
    const item = ctx.state.item(step.id, i)!;
    // An item waiting behind another has no deadline: it is watched once that one has ended.
    if (item.status !== "running" || item.queued_after !== undefined || !item.heartbeat_deadline_at || at < item.heartbeat_deadline_at) continue;
    if (item.start_unconfirmed) redispatchItem(ctx, step, state, item);
    else finishItem(ctx, step, state, item, { error: `agent step "${step.id}.${i}" timed out: no heartbeat from the runtime for ${seconds}s` });
  }
}

/** A running item goes back to be dispatched again before any pending one, with a new attempt. */
function redispatchItem(ctx: RunContext, step: CompiledAgentStep, state: StepState, item: ItemState): void {
  const fanout = state.fanout!;
  item.status = "pending";
  delete item.host_key;
  delete item.heartbeat_deadline_at;
  delete item.start_unconfirmed;
  leaveQueue(ctx, step, state, item);
  fanout.running -= 1;
  fanout.redispatch ??= [];
  fanout.redispatch.push(item.index);
  ctx.state.putItem(step.id, item);
  ctx.state.persistStep(state);
}

/** After an eviction: items not yet dispatched are dispatched, and a finished fanout settles. */
export async function resumeFanout(ctx: RunContext, step: CompiledAgentStep, state: StepState): Promise<void> {
  if (state.fanout) await pumpAndSettle(ctx, step, state);
}
