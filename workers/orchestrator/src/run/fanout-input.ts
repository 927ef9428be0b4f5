// What a step receives from a fanout it depends on. Results small enough for the fanout's own
// record are read from it; larger ones are kept per item (paged) and assembled from the items
// when a step reads them, up to MAX_FANOUT_INPUT_BYTES. A step that depends on a fanout with
// more fails before it starts, naming the fanout and the limit.

import type { CompiledStep } from "../../../../shared/bundle.ts";
import type { JsonObject, JsonValue } from "../../../../shared/expr/index.ts";
import { resultEntry } from "../engine/fanout-result.ts";
import { MAX_FANOUT_INPUT_BYTES } from "../engine/limits.ts";
import type { ItemState, StepState } from "./model.ts";
import { itemOutcome } from "./item-outcome.ts";

/** The run state calls this module makes. */
export interface FanoutItems {
  stepState(id: string): StepState;
  item(stepId: string, index: number): ItemState | undefined;
}

const MIB = 1024 * 1024;

/** Whether a step's paged results are too large for any step to receive. */
export function tooLargeToReceive(state: StepState): boolean {
  return state.paged !== undefined && state.paged.bytes > MAX_FANOUT_INPUT_BYTES;
}

/** `{"results": [...]}` of a paged fanout, in item order, assembled from its items. */
export function assemblePagedResults(items: FanoutItems, stepId: string, count: number): JsonObject {
  const results: JsonValue[] = [];
  for (let i = 0; i < count; i++) {
    const item = items.item(stepId, i);
    if (!item) throw new Error(`fanout step "${stepId}" has no item ${i}`);
    results.push(resultEntry(itemOutcome(item), i));
  }
  return { results };
}

/** The error a step fails with when a fanout it depends on has more results than a step may receive; null when none does. */
export function oversizedInputError(items: FanoutItems, step: CompiledStep, runId: string): string | null {
  for (const dep of step.dependencies) {
    const state = items.stepState(dep);
    if (!tooLargeToReceive(state)) continue;
    const paged = state.paged!;
    return (
      `step "${step.id}" depends on fanout step "${dep}", whose results are ${paged.bytes} bytes (${paged.items} items); ` +
      `a step may receive at most ${MAX_FANOUT_INPUT_BYTES} bytes (${MAX_FANOUT_INPUT_BYTES / MIB} MiB) of fanout results. ` +
      `Read them page by page: GET /runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(dep)}/items`
    );
  }
  return null;
}
