// A runtime host runs several items of a fanout and reports the results that are ready together
// in one call: the run applies them all with one storage write and answers with as many of the
// fanout's next items, committed as running on that host.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CallbackPayload } from "../../../shared/contracts/runtime.ts";
import { applyCallbacks } from "../../../workers/orchestrator/src/api/runtime-handlers.ts";
import { itemKey } from "../../../workers/orchestrator/src/run/model.ts";
import { runStub } from "../../../workers/orchestrator/src/run/stub.ts";
import { eventually, script, settled, start, step } from "./helpers.ts";
import { allItems } from "./item-pages.ts";

/** An item's result as the runtime reports it. */
function itemResult(runId: string, index: number): { step_id: string; payload: CallbackPayload } {
  const step_id = `each.${index}`;
  const metrics = { duration_ms: 5, tokens_in: 10, tokens_out: 5, cost_usd: 0.001, llm_calls: 1, tool_calls: 0 };
  return { step_id, payload: { run_id: runId, step_id, status: "ok", output: { n: index }, error: "", metrics, attempt: 1 } };
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

    const next = await applyCallbacks(env, runId, [itemResult(runId, 0), itemResult(runId, 1)], 2);

    // Only item 2 was left: it is handed to the reporting host, committed as running there.
    expect(next.map((request) => [request.step_id, request.host_key, request.attempt])).toEqual([["each.2", "each#0", 1]]);
    const writes = await recordedWrites(runId);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual(expect.arrayContaining([itemKey("each", 0), itemKey("each", 1), itemKey("each", 2)]));
    const items = (await allItems(runId, "each", 10)).items;
    expect(items.map((item) => item.status)).toEqual(["ok", "ok", "running"]);

    // The handed item's result ends the fanout; a repeated report of item 0 changes nothing.
    expect(await applyCallbacks(env, runId, [itemResult(runId, 2), itemResult(runId, 0)], 2)).toEqual([]);
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "each").output).toEqual({ results: [0, 1, 2].map((n) => ({ n })) });
  });
});
