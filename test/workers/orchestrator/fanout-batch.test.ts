// A runtime host runs several items of a fanout and reports the results that are ready together
// in one call: the run applies them all with one storage write and answers with as many of the
// fanout's next items, committed as running on that host.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CallbackPayload } from "../../../shared/contracts/runtime.ts";
import { applyCallbacks, applyHeartbeat } from "../../../workers/orchestrator/src/api/runtime-handlers.ts";
import { type ItemState, itemKey } from "../../../workers/orchestrator/src/run/model.ts";
import { runStub } from "../../../workers/orchestrator/src/run/stub.ts";
import { eventually, script, settled, start, step } from "./helpers.ts";
import { allItems } from "./item-pages.ts";

/** An item's result as the runtime reports it; `startedNext`: the host started the item that waited behind it. */
function itemResult(runId: string, index: number, startedNext?: number): { step_id: string; payload: CallbackPayload } {
  const step_id = `each.${index}`;
  const metrics = { duration_ms: 5, tokens_in: 10, tokens_out: 5, cost_usd: 0.001, llm_calls: 1, tool_calls: 0 };
  const started = startedNext === undefined ? {} : { started_next: `each.${startedNext}` };
  return { step_id, payload: { run_id: runId, step_id, status: "ok", output: { n: index }, error: "", metrics, attempt: 1, ...started } };
}

/** Records the keys of every storage `put` the run's object makes from now on (the instance keeps the wrapper). */
async function recordWrites(runId: string): Promise<void> {
  await runInDurableObject(runStub(env, runId), async (_instance, state) => {
    const storage = state.storage as DurableObjectStorage & { writes?: string[][] };
    const put = storage.put.bind(storage) as (entries: Record<string, unknown>) => Promise<void>;
    storage.writes = [];
    storage.put = ((entries: Record<string, unknown>) => {
      storage.writes!.push(Object.keys(entries));
      return put(entries);
    }) as DurableObjectStorage["put"];
  });
}

/** The fanout's items as the run's object stores them. */
async function storedItems(runId: string, count: number): Promise<ItemState[]> {
  return runInDurableObject(runStub(env, runId), async (_instance, state) => {
    const stored = await state.storage.get<ItemState>(Array.from({ length: count }, (_, i) => itemKey("each", i)));
    return Array.from({ length: count }, (_, i) => stored.get(itemKey("each", i))!);
  });
}

async function recordedWrites(runId: string): Promise<string[][]> {
  return runInDurableObject(runStub(env, runId), async (_instance, state) => (state.storage as DurableObjectStorage & { writes?: string[][] }).writes ?? []);
}

describe("fanout results reported together", () => {
  it("are applied with one storage write, and the reporting host is handed as many next items as remain (one per result)", async () => {
    // Concurrency 2: items 0 and 1 are dispatched and never report by themselves; the test reports them as their host would.
    const hang = { script: script({ hang: true }) };
    const runId = await start("fanout", { items: [hang, hang, hang] });
    await eventually(async () => ((await allItems(runId, "each", 10)).items.filter((i) => i.status === "running").length === 2 ? true : undefined));
    await recordWrites(runId);

    const answer = await applyCallbacks(env, runId, [itemResult(runId, 0), itemResult(runId, 1)], { takeNext: 2 });

    // Only item 2 was left: it is handed to the reporting host, committed as running there.
    expect(answer.next.map((request) => [request.step_id, request.host_key, request.attempt])).toEqual([["each.2", "each#0", 1]]);
    // A host that did not say it can queue gets no placements: it runs what it is handed at once.
    expect(answer.placements).toBeUndefined();
    const writes = await recordedWrites(runId);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual(expect.arrayContaining([itemKey("each", 0), itemKey("each", 1), itemKey("each", 2)]));
    const items = (await allItems(runId, "each", 10)).items;
    expect(items.map((item) => item.status)).toEqual(["ok", "ok", "running"]);

    // The handed item's result ends the fanout; a repeated report of item 0 changes nothing.
    expect(await applyCallbacks(env, runId, [itemResult(runId, 2), itemResult(runId, 0)], { takeNext: 2 })).toEqual({ next: [] });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "each").output).toEqual({ results: [0, 1, 2].map((n) => ({ n })) });
  });

  it("hand a host that can queue each free slot an item to run and one to wait behind it, while more items remain than slots", async () => {
    // Concurrency 2, eight items: 0 and 1 are dispatched and hang; the test reports for their host.
    const hang = { script: script({ hang: true }) };
    const runId = await start("fanout", { items: Array.from({ length: 8 }, () => hang) });
    await eventually(async () => ((await allItems(runId, "each", 10)).items.filter((i) => i.status === "running").length === 2 ? true : undefined));
    const queue = { takeNext: 4, queue: true };

    // Item 0's slot is free: item 2 runs there, item 3 waits behind item 2.
    let answer = await applyCallbacks(env, runId, [itemResult(runId, 0)], queue);
    expect(answer.next.map((request) => [request.step_id, request.host_key])).toEqual([
      ["each.2", "each#0"],
      ["each.3", "each#0"],
    ]);
    expect(answer.placements).toEqual([{ for_step: "each.0" }, { for_step: "each.0", after_step: "each.2" }]);
    // Both are committed as running; the waiting one has no heartbeat deadline yet and takes no slot, so nothing else is dispatched.
    let items = await storedItems(runId, 8);
    expect(items.map((item) => item.status)).toEqual(["ok", "running", "running", "running", "pending", "pending", "pending", "pending"]);
    expect([items[2]!.queued_next, items[3]!.queued_after, items[3]!.heartbeat_deadline_at]).toEqual([3, 2, undefined]);

    // Item 2 reports: its host already runs item 3 (from its queue), which now has a deadline; item 4 waits behind it.
    answer = await applyCallbacks(env, runId, [itemResult(runId, 2, 3)], queue);
    expect(answer.next.map((request) => request.step_id)).toEqual(["each.4"]);
    expect(answer.placements).toEqual([{ for_step: "each.2", after_step: "each.3" }]);
    items = await storedItems(runId, 8);
    expect(items[3]!.queued_after).toBeUndefined();
    expect(items[3]!.heartbeat_deadline_at).toEqual(expect.any(Number));
    expect(items[3]!.start_unconfirmed).toBeUndefined();

    // A waiting item's result may come before the one it waited behind: nothing is dispatched (both slots still run).
    expect(await applyCallbacks(env, runId, [itemResult(runId, 4)], { takeNext: 0 })).toEqual({ next: [] });
    items = await storedItems(runId, 8);
    expect(items.map((item) => item.status)).toEqual(["ok", "running", "ok", "running", "ok", "pending", "pending", "pending"]);
    expect(items[3]!.queued_next).toBeUndefined();

    // Near the end (no more items than slots) nothing waits: a slot's item runs at once or not at all.
    answer = await applyCallbacks(env, runId, [itemResult(runId, 1), itemResult(runId, 3)], queue);
    expect(answer.next.map((request) => request.step_id)).toEqual(["each.5", "each.6"]);
    expect(answer.placements).toEqual([{ for_step: "each.1" }, { for_step: "each.3" }]);
    answer = await applyCallbacks(env, runId, [itemResult(runId, 5), itemResult(runId, 6)], queue);
    expect(answer.next.map((request) => request.step_id)).toEqual(["each.7"]);
    expect(await applyCallbacks(env, runId, [itemResult(runId, 7)], queue)).toEqual({ next: [], placements: [] });

    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "each").output).toEqual({ results: Array.from({ length: 8 }, (_, n) => ({ n })) });
  });

  it("go to the runtime in one call when several are dispatched at once (the start), which starts one per host", async () => {
    const hang = { script: script({ hang: true }) };
    const runId = await start("fanout", { items: [hang, hang, hang] });
    await eventually(async () => ((await allItems(runId, "each", 10)).items.filter((i) => i.status === "running").length === 2 ? true : undefined));
    const res = await env.RUNTIME.fetch(`https://runtime/__dispatches?run_id=${encodeURIComponent(runId)}`);
    const { dispatches } = (await res.json()) as { dispatches: Array<{ method: string; step_ids: string[] }> };
    expect(dispatches).toEqual([{ run_id: runId, method: "invokeMany", step_ids: ["each.0", "each.1"] }]);
  });

  it("dispatch again, with a new attempt, an item that waited behind one whose result did not say it was started, once its heartbeats do not come", async () => {
    const hang = { script: script({ hang: true }) };
    const runId = await start("fanout", { items: Array.from({ length: 8 }, () => hang) });
    await eventually(async () => ((await allItems(runId, "each", 10)).items.filter((i) => i.status === "running").length === 2 ? true : undefined));
    const answer = await applyCallbacks(env, runId, [itemResult(runId, 0)], { takeNext: 4, queue: true });
    expect(answer.placements).toEqual([{ for_step: "each.0" }, { for_step: "each.0", after_step: "each.2" }]);

    // Item 2's result comes from a host instance that never had item 3 (an eviction): no started_next.
    await applyCallbacks(env, runId, [itemResult(runId, 2)], { takeNext: 0 });
    let items = await storedItems(runId, 8);
    expect([items[3]!.status, items[3]!.start_unconfirmed, items[3]!.heartbeat_deadline_at]).toEqual(["running", true, expect.any(Number)]);

    // No heartbeat comes for it (the test's host never ran it): at its deadline it is dispatched again, not failed.
    const dispatched = await eventually(async () => {
      const res = await env.RUNTIME.fetch(`https://runtime/__dispatches?run_id=${encodeURIComponent(runId)}`);
      const { dispatches } = (await res.json()) as { dispatches: Array<{ step_ids: string[] }> };
      return dispatches.length === 2 ? dispatches.map((d) => d.step_ids) : undefined;
    });
    expect(dispatched).toEqual([["each.0", "each.1"], ["each.3"]]);
    items = await storedItems(runId, 8);
    expect([items[3]!.status, items[3]!.attempt, items[3]!.host_key, items[3]!.start_unconfirmed]).toEqual(["running", 2, undefined, undefined]);
    expect(items.slice(4).map((item) => item.status)).toEqual(["pending", "pending", "pending", "pending"]);
  });

  it("count a heartbeat of an unconfirmed item as the sign its host started it: it is then watched like any running item", async () => {
    const hang = { script: script({ hang: true }) };
    const runId = await start("fanout", { items: Array.from({ length: 8 }, () => hang) });
    await eventually(async () => ((await allItems(runId, "each", 10)).items.filter((i) => i.status === "running").length === 2 ? true : undefined));
    await applyCallbacks(env, runId, [itemResult(runId, 0)], { takeNext: 4, queue: true });
    await applyCallbacks(env, runId, [itemResult(runId, 2)], { takeNext: 0 });
    const unconfirmed = () =>
      runInDurableObject(runStub(env, runId), async (instance) => {
        const engine = (instance as unknown as { engine: { state: { item(step: string, index: number): ItemState | undefined } } }).engine;
        return engine.state.item("each", 3)?.start_unconfirmed;
      });
    expect(await unconfirmed()).toBe(true);
    expect((await storedItems(runId, 8))[3]!.start_unconfirmed).toBe(true);

    await applyHeartbeat(env, { active: [{ run_id: runId, step_id: "each.3" }] });

    expect(await unconfirmed()).toBeUndefined();
    // Stored too: an eviction of the run's object does not bring the mark back (and dispatch the running item again).
    expect((await storedItems(runId, 8))[3]!.start_unconfirmed).toBeUndefined();
  });
});
