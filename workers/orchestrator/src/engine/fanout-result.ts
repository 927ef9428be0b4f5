// Fanout (`for_each`) item selection and result aggregation: every item runs to
// the end; results keep input order, a failed item contributing
// `{ktsu_error, item_index}`; `max_failures` decides whether the step fails.

import { goTypeName, type JsonObject, type JsonValue } from "../../../../shared/expr/json.ts";
import { sumMetrics, type StepMetrics } from "./metrics.ts";

/** One item's outcome; index = the item's position in the (truncated) input array. */
export type FanoutItemOutcome =
  | { ok: true; output: JsonObject; metrics?: Partial<StepMetrics> | null }
  | { ok: false; error: string; metrics?: Partial<StepMetrics> | null };

export type FanoutAggregate =
  | { kind: "ok"; output: { results: JsonValue[] }; metrics: StepMetrics; failed: number }
  | { kind: "fail"; error: string; metrics: StepMetrics; failed: number };

/**
 * The `for_each.from` value as the item list: must be an array
 * (`for_each from "<from>": expected array, got <type>`); `max_items > 0`
 * keeps the first N. Returns the error text instead of throwing.
 */
export function selectFanoutItems(from: string, value: JsonValue, maxItems: number): { ok: true; items: JsonValue[] } | { ok: false; error: string } {
  if (!Array.isArray(value)) {
    return { ok: false, error: `for_each from ${JSON.stringify(from)}: expected array, got ${goTypeName(value)}` };
  }
  return { ok: true, items: maxItems > 0 ? value.slice(0, maxItems) : value };
}

/** Items in flight at once: `concurrency ≤ 0` or `> count` means all of them. */
export function fanoutConcurrency(concurrency: number, count: number): number {
  return concurrency <= 0 || concurrency > count ? count : concurrency;
}

/** `{"results": [...]}` in input order; a failed item is `{"ktsu_error": <error>, "item_index": <i>}`. */
export function fanoutResults(outcomes: readonly FanoutItemOutcome[]): { results: JsonValue[] } {
  return {
    results: outcomes.map(resultEntry),
  };
}

/**
 * The failure policy (`max_failures`): 0 → any failure fails the step with
 * `fanout item <lowest failing index>: <error>`; N > 0 → fails only when more
 * than N failed, with `fanout: <failed> items failed (max_failures: <N>)`;
 * negative → never fails. Returns the step error or null.
 */
export function fanoutFailure(outcomes: readonly FanoutItemOutcome[], maxFailures: number): string | null {
  const firstFailed = outcomes.findIndex((outcome) => !outcome.ok);
  if (firstFailed < 0) return null;
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  if (maxFailures === 0) {
    const outcome = outcomes[firstFailed] as { ok: false; error: string };
    return `fanout item ${firstFailed}: ${outcome.error}`;
  }
  if (maxFailures > 0 && failed > maxFailures) return `fanout: ${failed} items failed (max_failures: ${maxFailures})`;
  return null;
}

/**
 * Results, policy and metrics together. Metrics sum every item, failed ones
 * included, except `duration_ms` (0); `reflected` is true if any item reflected.
 * Items run side by side, so the step names one `model_resolved` only when one
 * model answered them all; otherwise `models_resolved` lists the distinct models.
 */
export function aggregateFanout(outcomes: readonly FanoutItemOutcome[], maxFailures: number): FanoutAggregate {
  const metrics = sumMetrics(outcomes.map((outcome) => outcome.metrics));
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  const error = fanoutFailure(outcomes, maxFailures);
  if (error !== null) return { kind: "fail", error, metrics, failed };
  return { kind: "ok", output: fanoutResults(outcomes), metrics, failed };
}

/** One entry of `results`: the item's output, or the failure marker of the item at `index`. */
export function resultEntry(outcome: FanoutItemOutcome, index: number): JsonValue {
  return outcome.ok ? outcome.output : { ktsu_error: outcome.error, item_index: index };
}

/** Serialized size of `{"results":[…]}` whose entries serialize to `entryBytes` each (commas included). */
export function resultsBytes(entryBytes: Iterable<number>): number {
  let bytes = '{"results":[]}'.length;
  let count = 0;
  for (const entry of entryBytes) {
    bytes += entry;
    count += 1;
  }
  return bytes + Math.max(0, count - 1);
}

/**
 * Results too large for the step's own record are kept per item and paged
 * (`GET /runs/{id}/steps/{step}/items`); the step's output then says so instead.
 */
export interface PagedResults {
  items: number;
  /** Serialized size of the whole `{"results": [...]}`. */
  bytes: number;
}

/** The output field that stands in for paged results on the step's record and in the run view. */
export const PAGED_RESULTS_FIELD = "results_paged";

export function pagedResultsOutput(paged: PagedResults): Record<string, JsonValue> {
  return { [PAGED_RESULTS_FIELD]: { items: paged.items, bytes: paged.bytes } };
}
