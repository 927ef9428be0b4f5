import { describe, expect, it } from "vitest";
import { get, script, settled, sinkCalls, sinkStatus, start, step } from "./helpers.ts";

const seed = {
  groups: [
    [
      { name: "ann", status: "active" },
      { name: "bob", status: "idle" },
    ],
    [{ name: "cy", status: "active" }],
  ],
  people: [{ name: "Alice", age: 25 }, { name: "NoAge" }, { name: "Carol", age: 31 }, { name: "Bo", age: 19 }],
  tags: ["x", "y", "x", "z", "y"],
  none: [],
  age: 3,
};

describe("transforms", () => {
  it("apply merge, map, flatten, filter, sort (nulls last both ways), deduplicate (empty stays []) and fail on sort of a non-array", async () => {
    const view = await settled(await start("transforms", { seed: script({ output: seed }), extra: script({ output: { extra: true, age: 4 } }) }));
    expect(step(view, "merged").output).toEqual({ result: { ...seed, extra: true, age: 4 } });
    expect(step(view, "active_names").output).toEqual({ result: ["ann", "cy"] });
    const names = (id: string) => ((step(view, id).output!.result as Array<{ name: string }>) ?? []).map((p) => p.name);
    expect(names("by_age")).toEqual(["Bo", "Alice", "Carol", "NoAge"]);
    expect(names("by_age_desc")).toEqual(["Carol", "Alice", "Bo", "NoAge"]);
    expect(step(view, "unique_tags").output).toEqual({ result: ["x", "y", "z"] });
    expect(step(view, "empty_dedupe").output).toEqual({ result: [] });
    // sort on an object fails the step, and fail-fast fails the run.
    expect(step(view, "sort_object").status).toBe("failed");
    expect(step(view, "sort_object").error).toBe("op sort: sort: expected []interface{}, got map[string]interface {}");
    expect(view.run.status).toBe("failed");
  });
});

describe("webhooks (sent through the gateway's egress)", () => {
  it("templates the URL, builds a typed body (nulls omitted, literals quoted), and outputs {sent, status_code}", async () => {
    const runId = await start("webhook", { n: 7 });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "notify").output).toEqual({ sent: true, status_code: 200 });
    expect(step(view, "failing").status).toBe("skipped");
    const call = (await sinkCalls()).find((c) => c.path === "/hook/7" && c.headers["idempotency-key"] === `${runId}/notify`);
    expect(call).toBeDefined();
    expect(call!.method).toBe("POST");
    expect(JSON.parse(call!.body)).toEqual({ n: 7, literal: "critical", whole: { n: 7 } });
  });

  it("a non-2xx reply fails the step with the original's message, and the secret in the URL is redacted", async () => {
    await sinkStatus("/fail/sink-token-4f9a2c", 500);
    const view = await settled(await start("webhook", { n: 1, fail: true }));
    expect(view.run.status).toBe("failed");
    const error = step(view, "failing").error!;
    expect(error).toMatch(/^webhook POST http:\/\/127\.0\.0\.1:\d+\/fail\/\[REDACTED\] returned status 500$/);
    expect(view.run.error).toBe(error);
  });
});

describe("sub-workflows", () => {
  it("maps params and input, runs as <parent>/<step>, returns output.map, and honours the webhook dual opt-in", async () => {
    const runId = await start("parent", { x: 5 });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "call").output).toEqual({ x: 5, label: "fixed-label", from_input: 5, ping_sent: true });
    // Without the step's opt-in the sub-workflow's webhook is suppressed: its ping is skipped.
    expect(step(view, "quiet").output).toEqual({ x: 5 });
    expect(step(view, "after").output).toEqual({ result: { x: 5, label: "fixed-label", from_input: 5, ping_sent: true } });

    const sub = await get<{
      run: { id: string; workflow_name: string; payload: unknown; parent_run_id: string };
      steps: Array<{ id: string; status: string }>;
    }>(`/runs/${encodeURIComponent(`${runId}/call`)}`);
    expect(sub.status).toBe(200);
    expect(sub.body.run).toMatchObject({ id: `${runId}/call`, workflow_name: "child-flow", payload: { fromInput: 5 }, parent_run_id: runId });
    const quiet = await get<{ steps: Array<{ id: string; status: string }> }>(`/runs/${encodeURIComponent(`${runId}/quiet`)}`);
    expect(quiet.body.steps.find((s) => s.id === "ping")?.status).toBe("skipped");
    const pings = (await sinkCalls()).filter((c) => c.headers["idempotency-key"]?.startsWith(runId));
    expect(pings.map((c) => c.headers["idempotency-key"])).toEqual([`${runId}/call/ping`]);
  });

  it("a missing required sub-workflow param fails the parent step with the original's message", async () => {
    const view = await settled(await start("parent", {}));
    expect(view.run.status).toBe("failed");
    expect(view.run.error).toBe('workflow step "call": missing required param "x" for sub-workflow "./child.workflow.yaml"');
  });
});

describe("fanout (for_each)", () => {
  const item = (output: Record<string, unknown>, delay = 0) => ({ script: { output, delay_ms: delay } });
  const failing = (error: string) => ({ script: { status: "failed", error } });

  it("passes item and item_index to each item, keeps input order, and sums metrics", async () => {
    const items = [item({ i: 0 }, 300), item({ i: 1 }, 0), item({ i: 2 }, 100)];
    const view = await settled(await start("fanout", { items }));
    expect(view.run.status).toBe("complete");
    const each = step(view, "each");
    expect(each.output).toEqual({ results: [{ i: 0 }, { i: 1 }, { i: 2 }] });
    expect(each.metrics).toMatchObject({ tokens_in: 30, tokens_out: 15, llm_calls: 3 });
    expect(each.metrics.cost_usd).toBeCloseTo(0.003, 12);
  });

  it("an empty array completes with no results", async () => {
    const view = await settled(await start("fanout", { items: [] }));
    expect(step(view, "each").output).toEqual({ results: [] });
  });

  it("max_failures 0: any failure fails the step with the lowest failing index", async () => {
    const view = await settled(await start("fanout", { items: [item({ i: 0 }), failing("boom2"), failing("boom1")] }));
    expect(view.run.error).toBe("fanout item 1: agent step failed: boom2");
  });

  it("max_failures N: tolerates N failures and marks them in the results", async () => {
    const ok = await settled(await start("fanout-tolerant", { items: [item({ i: 0 }), failing("nope")] }));
    expect(ok.run.status).toBe("complete");
    expect(step(ok, "each").output).toEqual({ results: [{ i: 0 }, { ktsu_error: "agent step failed: nope", item_index: 1 }] });
    const tooMany = await settled(await start("fanout-tolerant", { items: [failing("a"), failing("b"), item({ i: 2 })] }));
    expect(tooMany.run.error).toBe("fanout: 2 items failed (max_failures: 1)");
  });

  it("max_failures -1: never fails", async () => {
    const view = await settled(await start("fanout-any", { items: [failing("a"), failing("b")] }));
    expect(view.run.status).toBe("complete");
  });

  it("sends the items to one shared runtime host per 8 of the step's concurrency, item i to host i mod hosts", async () => {
    // Concurrency 16: two hosts.
    const items = Array.from({ length: 20 }, () => ({ script: { echo: true } }));
    const view = await settled(await start("fanout-wide", { items }));
    expect(view.run.status).toBe("complete");
    const requests = (step(view, "each").output as { results: Array<{ request: { step_id: string; host_key: string } }> }).results.map((r) => r.request);
    expect(requests.map((r) => [r.step_id, r.host_key])).toEqual(items.map((_, i) => [`each.${i}`, `each#${i % 2}`]));
  });

  it("over RPC, a host that reports an item takes the next one: its request names that host and the item runs there", async () => {
    // Concurrency 16 (hosts each#0 and each#1): every item but item 1 is slow; item 1 reports first
    // from host each#1, which is handed item 16 (its own slot would be each#0); item 16 reports over
    // HTTP, so nothing more is handed.
    const slow = { script: { echo: true, delay_ms: 3000 } };
    const items = [slow, { script: { echo: true, take_next: true } }, ...Array.from({ length: 14 }, () => slow), { script: { echo: true } }];
    const view = await settled(await start("fanout-wide", { items }));
    expect(view.run.status).toBe("complete");
    const requests = (step(view, "each").output as { results: Array<{ request: { step_id: string; host_key: string } }> }).results.map((r) => r.request);
    expect(requests.map((r) => [r.step_id, r.host_key])).toEqual(items.map((_, i) => [`each.${i}`, i === 16 ? "each#1" : `each#${i % 2}`]));
  });

  it("a from that is not an array fails with the type named", async () => {
    const view = await settled(await start("fanout", {}));
    expect(view.run.error).toBe('for_each from "params.items": expected array, got <nil>');
  });
});

describe("agent steps inside sub-workflows and the budget context", () => {
  it("an agent step inside a sub-workflow completes (callback ids encoded) and carries the root's budget", async () => {
    const runId = await start("parent-agent", { script: script({ echo: true }) });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    const request = (step(view, "call").output as { request: Record<string, unknown> }).request;
    expect(request).toMatchObject({ run_id: `${runId}/call`, step_id: "inner", cost_budget_usd: 0.25, budget_run_id: runId });
    // The sub-run's own record shows the agent step.
    const sub = await get<{ steps: Array<{ id: string; status: string }> }>(`/runs/${encodeURIComponent(`${runId}/call`)}`);
    expect(sub.body.steps).toEqual([expect.objectContaining({ id: "inner", status: "complete" })]);
  });

  it("fanout items get item and item_index in their params", async () => {
    const view = await settled(await start("fanout-index", { items: ["a", "b", "c"] }));
    expect(step(view, "each").output).toEqual({
      results: [
        { index: 0, name: "a" },
        { index: 1, name: "b" },
        { index: 2, name: "c" },
      ],
    });
  });
});

describe("tool servers in the dispatch", () => {
  it("sends each agent server with its URL, allowlist and persistent_id", async () => {
    const view = await settled(await start("with-tools", { script: script({ echo: true }) }));
    const request = (step(view, "a").output as { request: { tool_servers: unknown[] } }).request;
    expect(request.tool_servers).toEqual([{ name: "kv", url: "ktsu://tools/kv", allowlist: ["get"], persistent_id: "ns1" }]);
  });

  it("resolves persistent_id templates against the agent's params, per step", async () => {
    const dispatched = async (chatId: string) => {
      const view = await settled(await start("chat-tools", { script: script({ echo: true }), chat_id: chatId }));
      expect(view.run.status).toBe("complete");
      const request = (step(view, "a").output as { request: { tool_servers: Array<{ allowlist: string[]; persistent_id?: string }> } }).request;
      return request.tool_servers.map((server) => [server.allowlist[0], server.persistent_id]);
    };
    // A whole {{ params.chat_id }}, and templates inside text (lang from its default).
    expect(await dispatched("7")).toEqual([
      ["get", "7"],
      ["set", "notes-7-en"],
    ]);
    expect(await dispatched("8")).toEqual([
      ["get", "8"],
      ["set", "notes-8-en"],
    ]);
  });

  it("fails the step, naming the server and field, when persistent_id resolves to nothing", async () => {
    // No chat_id: the agent param takes its empty default, which would be the server's shared namespace.
    const view = await settled(await start("chat-tools", { script: script({ echo: true }) }));
    expect(view.run.status).toBe("failed");
    expect(step(view, "a").error).toBe('server "kv" persistent_id: "{{ params.chat_id }}" resolved to an empty value (is the agent param set?)');
  });
});
