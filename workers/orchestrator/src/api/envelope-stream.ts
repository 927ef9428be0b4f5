// The envelope as a streamed JSON body: written step by step, and a fanout step whose results
// are paged (its record holds `{"results_paged": …}`) gets its `{"results": [...]}` read page by
// page from the run's Durable Object. A run with thousands of large items is never one string.

import type { BudgetReport } from "../../../../shared/contracts/gateway.ts";
import type { Envelope, EnvelopeStep } from "../../../../shared/contracts/records.ts";
import { PAGED_RESULTS_FIELD, resultEntry } from "../engine/fanout-result.ts";
import type { ItemPageAnswer, ItemView } from "../run/item-pages.ts";
import { MAX_ITEM_PAGE_LIMIT } from "../run/item-pages.ts";

/** Reads a page of a step's items (the run's `items` RPC). */
export type ItemPages = (stepId: string, from: number, limit: number) => Promise<ItemPageAnswer>;

/** Whether a step's stored output stands in for paged results. */
export function isPagedOutput(output: Record<string, unknown>): boolean {
  const keys = Object.keys(output);
  return keys.length === 1 && keys[0] === PAGED_RESULTS_FIELD && typeof output[PAGED_RESULTS_FIELD] === "object";
}

/**
 * The envelope (plus the gateway's budget record) as a stream of JSON text; the steps named in
 * `paged` (agent steps whose record holds paged results) get their results from `pages`.
 */
export function envelopeStream(envelope: Envelope & { budget?: BudgetReport }, paged: ReadonlySet<string>, pages: ItemPages): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const chunks = envelopeChunks(envelope, paged, pages);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

async function* envelopeChunks(envelope: Envelope & { budget?: BudgetReport }, paged: ReadonlySet<string>, pages: ItemPages): AsyncGenerator<string> {
  const { steps, totals, budget, ...head } = envelope;
  const opening = JSON.stringify(head);
  yield `${opening.slice(0, -1)}${opening.length > 2 ? "," : ""}"steps":`;
  if (!steps) yield "null";
  else {
    yield "[";
    for (const [i, step] of steps.entries()) {
      if (i > 0) yield ",";
      if (paged.has(step.id)) yield* pagedStep(step, pages);
      else yield JSON.stringify(step);
    }
    yield "]";
  }
  yield `,"totals":${JSON.stringify(totals)}${budget ? `,"budget":${JSON.stringify(budget)}` : ""}}`;
}

/** The step with its output last, streamed from the items; as stored when the run says it has no items. */
async function* pagedStep(step: EnvelopeStep, pages: ItemPages): AsyncGenerator<string> {
  const first = await pages(step.id, 0, MAX_ITEM_PAGE_LIMIT);
  if (first.status !== 200) {
    yield JSON.stringify(step);
    return;
  }
  const { output: _paged, ...rest } = step;
  const opening = JSON.stringify(rest);
  yield `${opening.slice(0, -1)},"output":{"results":[`;
  let answer: ItemPageAnswer = first;
  let written = 0;
  for (;;) {
    if (answer.status !== 200) throw new Error(`reading the items of step "${step.id}": ${answer.message}`);
    const entries = answer.page.items.map((item) => JSON.stringify(entryOf(item)));
    if (entries.length > 0) yield (written > 0 ? "," : "") + entries.join(",");
    written += entries.length;
    const cursor = answer.page.next_cursor;
    if (cursor === null) break;
    answer = await pages(step.id, Number(cursor), MAX_ITEM_PAGE_LIMIT);
  }
  yield "]}}";
}

/** An item's entry in `results`, as the step's aggregate would have it. */
function entryOf(item: ItemView): unknown {
  return resultEntry(item.status === "ok" ? { ok: true, output: (item.output ?? {}) as never } : { ok: false, error: item.error ?? "failed" }, item.index);
}
