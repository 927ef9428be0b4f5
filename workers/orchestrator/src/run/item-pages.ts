// Pages of a fanout step's items, read from the run's own state: what
// `GET /runs/{id}/steps/{step}/items` serves and what a streamed envelope reads paged results
// from. A page holds at most `limit` items and stops after about MAX_PAGE_BYTES of outputs
// (always at least one item), so one item of the largest size still fits an answer. With
// `calls`, each item also carries its LLM and tool call records (what `ktsu replay` answers a
// replayed item from), and they count towards the page's bytes.

import type { ItemPage, ItemView } from "../../../../shared/contracts/item-page.ts";
import { jsonBytes, MAX_OUTPUT_BYTES } from "../engine/limits.ts";
import type { ItemState, StepState } from "./model.ts";

export const MAX_PAGE_BYTES = MAX_OUTPUT_BYTES;
export const DEFAULT_ITEM_PAGE_LIMIT = 100;
export const MAX_ITEM_PAGE_LIMIT = 1000;

export type { ItemPage, ItemView };

export type ItemPageAnswer = { status: 200; page: ItemPage } | { status: 400 | 404; message: string };

/** What a page is read from: the run's steps, and its stored items. */
export interface ItemSource {
  isFanoutStep(stepId: string): boolean | undefined;
  stepState(id: string): StepState;
  /** Stored items of a step in index order from `from`, at most `limit`. */
  items(stepId: string, from: number, limit: number): Promise<ItemState[]>;
}

/** Items read from storage at a time, so a page of large items stops reading once it is full. */
const READ_CHUNK = 50;

/** The items of `stepId` from index `from`; 404 for a step the workflow does not have, or one that is not a fanout. */
export async function itemPage(source: ItemSource, stepId: string, from: number, limit: number, withCalls = false): Promise<ItemPageAnswer> {
  const fanout = source.isFanoutStep(stepId);
  if (fanout === undefined) return { status: 404, message: `step "${stepId}" not found in this run` };
  if (!fanout) return { status: 404, message: `step "${stepId}" is not a fanout (for_each) step: it has no items` };
  const total = source.stepState(stepId).fanout?.total ?? 0;
  if (from > total) return { status: 400, message: `cursor ${from} is past the last item (the step has ${total} items)` };
  const items: ItemView[] = [];
  let bytes = 0;
  let index = from;
  while (index < total && items.length < limit && (items.length === 0 || bytes < MAX_PAGE_BYTES)) {
    const chunk = await source.items(stepId, index, Math.min(READ_CHUNK, limit - items.length));
    if (chunk.length === 0) break;
    for (const item of chunk) {
      if (items.length > 0 && bytes >= MAX_PAGE_BYTES) break;
      items.push(withCalls && item.calls ? { ...itemView(item), calls: item.calls } : itemView(item));
      bytes += (item.bytes ?? 0) + (withCalls && item.calls ? jsonBytes(item.calls) : 0);
      index = item.index + 1;
    }
  }
  return { status: 200, page: { step_id: stepId, total, items, next_cursor: index < total ? String(index) : null } };
}

function itemView(item: ItemState): ItemView {
  return {
    index: item.index,
    status: item.status,
    ...(item.output ? { output: item.output } : {}),
    ...(item.error !== undefined ? { error: item.error } : {}),
    ...(item.metrics ? { metrics: item.metrics } : {}),
  };
}
