import { describe, expect, it } from "vitest";
import { pagedResultsOutput, resultEntry, resultsBytes } from "../../../workers/orchestrator/src/engine/fanout-result.ts";
import { itemPage, MAX_PAGE_BYTES } from "../../../workers/orchestrator/src/run/item-pages.ts";
import type { ItemState, StepState } from "../../../workers/orchestrator/src/run/model.ts";
import { itemKey, ZERO_METRICS } from "../../../workers/orchestrator/src/run/model.ts";
import { loadItemsInChunks, StoredOutputs } from "../../../workers/orchestrator/src/run/item-outputs.ts";
import { MemoryStorage } from "./run-fakes.ts";
import { MAX_FANOUT_INPUT_BYTES } from "../../../workers/orchestrator/src/engine/limits.ts";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

describe("fanout results sizes", () => {
  it("resultsBytes is the serialized size of {results: [...]} from its entries' sizes", () => {
    const entries = [{ a: 1 }, resultEntry({ ok: false, error: "boom é" }, 1), { b: "ü".repeat(5) }];
    expect(resultsBytes(entries.map(bytes))).toBe(bytes({ results: entries }));
    expect(resultsBytes([])).toBe(bytes({ results: [] }));
    expect(pagedResultsOutput({ items: 3, bytes: 99 })).toEqual({ results_paged: { items: 3, bytes: 99 } });
  });
});

describe("itemPage", () => {
  const step: StepState = { id: "each", type: "agent", status: "complete", seq: 0, metrics: ZERO_METRICS, attempt: 1 };
  const items = (count: number, size: number): ItemState[] =>
    Array.from({ length: count }, (_, index) => ({ index, status: "ok", item: index, attempt: 1, output: { i: index }, bytes: size }));
  const source = (list: ItemState[]) => ({
    isFanoutStep: (id: string) => (id === "each" ? true : id === "plain" ? false : undefined),
    stepState: () => ({ ...step, fanout: { total: list.length, concurrency: 1, max_failures: 0, next: list.length, running: 0, finished: list.length } }),
    items: async (_: string, from: number, count: number) => list.slice(from, from + count),
  });

  it("pages by count, then by bytes, always at least one item", async () => {
    const small = source(items(5, 10));
    expect(await itemPage(small, "each", 0, 2)).toMatchObject({ status: 200, page: { total: 5, next_cursor: "2", items: [{ index: 0 }, { index: 1 }] } });
    expect(await itemPage(small, "each", 4, 2)).toMatchObject({ status: 200, page: { next_cursor: null, items: [{ index: 4, output: { i: 4 } }] } });
    expect(await itemPage(small, "each", 5, 2)).toMatchObject({ status: 200, page: { next_cursor: null, items: [] } });
    const large = source(items(5, MAX_PAGE_BYTES / 2));
    expect(await itemPage(large, "each", 0, 100)).toMatchObject({ page: { next_cursor: "2" } });
    const huge = source(items(2, MAX_PAGE_BYTES * 2));
    expect(await itemPage(huge, "each", 0, 100)).toMatchObject({ page: { next_cursor: "1", items: [{ index: 0 }] } });
  });

  it("404 for an unknown step or one without items, 400 past the last item", async () => {
    const list = source(items(3, 10));
    expect(await itemPage(list, "nope", 0, 10)).toEqual({ status: 404, message: 'step "nope" not found in this run' });
    expect(await itemPage(list, "plain", 0, 10)).toMatchObject({ status: 404 });
    expect(await itemPage(list, "each", 4, 10)).toEqual({ status: 400, message: "cursor 4 is past the last item (the step has 3 items)" });
  });
});

describe("StoredOutputs", () => {
  const state = (bytes: number): StepState => ({
    id: "each",
    type: "agent",
    status: "running",
    seq: 0,
    metrics: ZERO_METRICS,
    attempt: 1,
    fanout: { total: 3, concurrency: 3, max_failures: 0, next: 3, running: 1, finished: 2, bytes },
  });
  const items = () =>
    new Map<string, ItemState>([
      [itemKey("each", 0), { index: 0, status: "ok", item: 0, attempt: 1, output: { a: 1 }, bytes: 7 }],
      [itemKey("each", 1), { index: 1, status: "ok", item: 1, attempt: 1, output: { a: 2 }, bytes: 7 }],
      [itemKey("each", 2), { index: 2, status: "running", item: 2, attempt: 1 }],
    ]);

  it("keeps outputs in memory while a step may receive them", () => {
    const map = items();
    new StoredOutputs().forget([state(MAX_FANOUT_INPUT_BYTES)], map, [], new Set());
    expect(map.get(itemKey("each", 0))?.output).toEqual({ a: 1 });
  });

  it("forgets stored outputs once the fanout is over the limit, and those stored later; never unstored ones", () => {
    const map = items();
    const outputs = new StoredOutputs();
    outputs.forget([state(MAX_FANOUT_INPUT_BYTES + 1)], map, [], new Set([itemKey("each", 1)]));
    expect(map.get(itemKey("each", 0))?.output).toBeUndefined();
    expect(map.get(itemKey("each", 1))?.output).toEqual({ a: 2 });
    outputs.forget([state(MAX_FANOUT_INPUT_BYTES + 1)], map, [itemKey("each", 1)], new Set());
    expect(map.get(itemKey("each", 1))?.output).toBeUndefined();
  });
});

describe("loadItemsInChunks", () => {
  it("hands every stored item over once, in key order, in chunks", async () => {
    const storage = new MemoryStorage();
    const entries: Record<string, unknown> = { "step:each": {}, meta: {} };
    for (let i = 0; i < 1203; i++) entries[itemKey(i < 700 ? "a" : "b", i)] = { index: i };
    await storage.putAll(entries);
    const sizes: number[] = [];
    const keys: string[] = [];
    await loadItemsInChunks(storage, (chunk) => {
      sizes.push(chunk.size);
      keys.push(...chunk.keys());
    });
    expect(sizes).toEqual([500, 500, 203]);
    expect(keys).toEqual(
      Object.keys(entries)
        .filter((k) => k.startsWith("item:"))
        .sort(),
    );
  });
});
