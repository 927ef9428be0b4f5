import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { get, settled, start, step } from "./helpers.ts";
import { allItems, envelopeOf, indexes, type ItemPage, padded } from "./item-pages.ts";

// Fanout results beyond one stored value: kept per item, paged through the API, streamed
// whole in the envelope, and refused with a clear error to a step that would receive too many.

const MIB = 1024 * 1024;

describe("fanout results beyond one stored value", () => {
  it("results over 1 MiB are paged: the record says so, items page through the API, the envelope streams them, a step reads them", async () => {
    const runId = await start("fanout-large-reader", { items: indexes(300), script: padded(4000) });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    const paged = step(view, "each").output as { results_paged: { items: number; bytes: number } };
    expect(paged.results_paged.items).toBe(300);
    expect(paged.results_paged.bytes).toBeGreaterThan(MIB);
    // The downstream step received all of them, in order.
    expect(step(view, "after").output).toEqual({ count: 300, last: "each.299" });

    const { items, pages, total } = await allItems(runId, "each", 100);
    expect(total).toBe(300);
    expect(pages).toBe(3);
    expect(items.map((item) => item.index)).toEqual(indexes(300));
    expect(items.every((item) => item.status === "ok" && item.output?.pad.length === 4000)).toBe(true);

    const envelope = await envelopeOf(runId);
    expect(envelope.status).toBe(200);
    expect(envelope.type).toContain("application/json");
    const results = (envelope.body.steps.find((s) => s.id === "each")!.output as { results: Array<{ step_id: string }> }).results;
    expect(results.map((r) => r.step_id)).toEqual(indexes(300).map((i) => `each.${i}`));
    // The serialized results are exactly as large as the record said.
    expect(new TextEncoder().encode(JSON.stringify({ results })).byteLength).toBe(paged.results_paged.bytes);
  });

  it("a step depending on more than 4 MiB of fanout results fails naming the limit and the fanout", async () => {
    const runId = await start("fanout-large-reader", { items: indexes(1100), script: padded(4000) });
    const view = await settled(runId);
    expect(view.run.status).toBe("failed");
    expect(step(view, "each").status).toBe("complete");
    const after = step(view, "after");
    expect(after.status).toBe("failed");
    expect(after.error).toMatch(
      /^step "after" depends on fanout step "each", whose results are \d+ bytes \(1100 items\); a step may receive at most 4194304 bytes \(4 MiB\)/,
    );
    expect(after.error).toContain(`GET /runs/${runId}/steps/each/items`);
    // The run's object keeps these outputs in storage only; the API reads them from there.
    const first = await get<ItemPage>(`/runs/${runId}/steps/each/items?limit=1`);
    expect(first.body.items[0]).toMatchObject({ index: 0, status: "ok", output: { step_id: "each.0" } });
    expect(first.body.items[0]!.output!.pad).toHaveLength(4000);
  });

  it("a sub-workflow whose result would be paged fanout results fails, naming the fanout and the limit", async () => {
    const view = await settled(await start("parent-large", { items: indexes(300), script: padded(4000) }));
    expect(view.run.status).toBe("failed");
    expect(step(view, "call").error).toMatch(
      /^sub-workflow "\.\/fanout-large\.workflow\.yaml" failed: the sub-workflow's result would carry the results of fanout step "each", \d+ bytes; a workflow step's output is limited to 1048576 bytes$/,
    );
  });

  it("an item whose output is over 1 MiB fails that item with the limit named", async () => {
    const view = await settled(await start("fanout-large", { items: [0], script: padded(MIB + 10) }));
    expect(view.run.status).toBe("failed");
    expect(view.run.error).toMatch(/^fanout item 0: item 0: output is \d+ bytes; step outputs are limited to 1048576 bytes$/);
  });

  it("items keep their calls' replay records (fingerprints, replies, tool results), served with calls=true; a step keeping its messages drops them", async () => {
    const times = { started_at: "2026-01-01T00:00:00.000Z", ended_at: "2026-01-01T00:00:01.000Z" };
    const usage = { group: "default", model: "fake/m", tokens_in: 1, tokens_out: 1, cost_usd: 0 };
    const calls = [
      { kind: "llm", ...times, ...usage, prompt: "0123456789abcd", reply: { content: "", tool_calls: [{ id: "c1", name: "set", arguments: { k: "v" } }] } },
      { kind: "tool", ...times, server: "kv", tool: "set", result: "stored" },
      { kind: "llm", ...times, ...usage, prompt: "0123456789abce" },
    ];
    const script = JSON.stringify({ output: { ok: true }, calls, messages: [{ role: "user", content: "hi" }] });
    const runId = await start("fanout-large-reader", { items: indexes(2), script });
    await settled(runId);
    const withCalls = await get<{ items: Array<{ index: number; calls?: unknown[] }> }>(`/runs/${runId}/steps/each/items?calls=true`);
    expect(withCalls.status).toBe(200);
    expect(withCalls.body.items.map((item) => item.calls)).toEqual([calls, calls]);
    const plain = await get<{ items: Array<{ calls?: unknown[] }> }>(`/runs/${runId}/steps/each/items`);
    expect(plain.body.items.every((item) => item.calls === undefined)).toBe(true);

    const single = await settled(await start("agent-free", { script }));
    const kept = step(single, "a").calls as unknown as Array<Record<string, unknown>>;
    expect(kept.map((call) => [call.kind, call.prompt, call.reply, call.result])).toEqual([
      ["llm", "0123456789abcd", undefined, undefined],
      ["tool", undefined, undefined, undefined],
      ["llm", "0123456789abce", undefined, undefined],
    ]);
  });

  it("the items route: 404 for an unknown run or step and a step without items, 400 for a bad cursor", async () => {
    const runId = await start("fanout-large-reader", { items: indexes(3), script: padded(10) });
    await settled(runId);
    const status = async (path: string) => (await SELF.fetch(`https://ktsu.test${path}`)).status;
    expect(await status(`/runs/run_0000000000000000/steps/each/items`)).toBe(404);
    const unknownStep = await get<{ error: string; message: string }>(`/runs/${runId}/steps/nope/items`);
    expect(unknownStep).toEqual({ status: 404, body: { error: "not_found", message: 'step "nope" not found in this run' } });
    const notFanout = await get<{ message: string }>(`/runs/${runId}/steps/after/items`);
    expect(notFanout.status).toBe(404);
    expect(notFanout.body.message).toContain("not a fanout");
    expect(await status(`/runs/${runId}/steps/each/items?cursor=abc`)).toBe(400);
    expect(await status(`/runs/${runId}/steps/each/items?cursor=-1`)).toBe(400);
    const past = await get<{ error: string; message: string }>(`/runs/${runId}/steps/each/items?cursor=4`);
    expect(past).toEqual({ status: 400, body: { error: "invalid_request", message: "cursor 4 is past the last item (the step has 3 items)" } });
    expect(await status(`/runs/${runId}/steps/each/items?limit=0`)).toBe(400);
    // Small results stay on the step's record; the items are there too.
    const small = await get<ItemPage>(`/runs/${runId}/steps/each/items`);
    expect(small.body).toMatchObject({ step_id: "each", total: 3, next_cursor: null });
  });
});
