// The step's call records: each LLM and tool call with its times and what answered it.
import { describe, expect, it } from "vitest";
import type { StepCall } from "../../../shared/contracts/runtime.ts";
import { MAX_RECORDED_CALLS } from "../../../shared/otel/limits.ts";
import { REPLAY_RECORD_BUDGET } from "../../../shared/replay/call-record.ts";
import { promptFingerprint } from "../../../shared/replay/fingerprint.ts";
import { createScrubber } from "../../../shared/secrets/scrub.ts";
import { CallTimeline } from "../../../workers/runtime/src/agent/call-timeline.ts";
import type { Llm } from "../../../workers/runtime/src/agent/reflect.ts";
import type { Toolbox } from "../../../workers/runtime/src/mcp/toolbox.ts";

const reply = { content: "ok", model_resolved: "fake/fake-model", tokens_in: 12, tokens_out: 3, cost_usd: 0.000018 };

function toolbox(): Toolbox {
  return {
    definitions: [],
    has: (name) => name === "set" || name === "boom",
    approvalRule: () => undefined,
    serverOf: (name) => (name === "set" || name === "boom" ? "kv" : undefined),
    call: async (name) => {
      if (name === "boom") throw new Error("server said no");
      return "done";
    },
    close: async () => {},
  };
}

describe("call timeline", () => {
  it("records LLM calls (answered and failed) and tool calls (answered and failed) in order, with their times", async () => {
    const timeline = new CallTimeline();
    let answer = true;
    const llm: Llm = async () => (answer ? { ok: true, reply } : { ok: false, error: "gateway error rate_limited: slow down" });
    const timedLlm = timeline.timedLlm(llm, "default");
    const tools = timeline.timedToolbox(toolbox());

    expect(await timedLlm([])).toEqual({ ok: true, reply });
    expect(await tools.call("set", { key: "k" })).toBe("done");
    await expect(tools.call("boom", {})).rejects.toThrow("server said no");
    answer = false;
    await timedLlm([]);

    const calls = timeline.list();
    expect(calls.map((c) => (c.kind === "llm" ? ["llm", c.model, c.error] : ["tool", c.server, c.tool, c.error]))).toEqual([
      ["llm", "fake/fake-model", undefined],
      ["tool", "kv", "set", undefined],
      ["tool", "kv", "boom", "server said no"],
      ["llm", undefined, "gateway error rate_limited: slow down"],
    ]);
    expect(calls[0]).toMatchObject({ group: "default", tokens_in: 12, tokens_out: 3, cost_usd: 0.000018 });
    for (const call of calls) expect(Date.parse(call.ended_at)).toBeGreaterThanOrEqual(Date.parse(call.started_at));
    // The toolbox keeps answering for what it wraps.
    expect(tools.has("set")).toBe(true);
    expect(tools.serverOf("set")).toBe("kv");
  });

  it("keeps each LLM call's fingerprint of the masked messages sent, its reply and each tool result, up to the replay budget", async () => {
    const scrub = createScrubber(["tool-secret-123"]);
    const timeline = new CallTimeline([], (messages) => scrub.value(messages));
    const asked = { ...reply, content: "", tool_calls: [{ id: "c1", name: "set", arguments: { key: "k" } }] };
    const replies = [asked, reply];
    const timedLlm = timeline.timedLlm(async () => ({ ok: true, reply: replies.shift()! }), "default");
    const tools = timeline.timedToolbox(toolbox());
    const sent = [{ role: "system" as const, content: "use tool-secret-123" }];
    await timedLlm(sent);
    await tools.call("set", { key: "k" });
    await timedLlm(sent);
    const big = "x".repeat(REPLAY_RECORD_BUDGET);
    const large = timeline.timedToolbox({ ...toolbox(), call: async () => big });
    await large.call("set", {});

    const calls = timeline.list();
    expect(calls[0]).toMatchObject({ prompt: promptFingerprint(scrub.value(sent)), reply: { content: "", tool_calls: asked.tool_calls } });
    expect(calls[0]).not.toMatchObject({ prompt: promptFingerprint(sent) });
    expect(calls[1]).toMatchObject({ kind: "tool", result: "done" });
    expect(calls[2]).toMatchObject({ reply: { content: "ok" } });
    // Past the budget: the call is recorded without its result.
    expect(calls[3]).toMatchObject({ kind: "tool", tool: "set" });
    expect("result" in calls[3]!).toBe(false);
  });

  it("a resumed host's budget counts what its earlier records kept", async () => {
    const span = { started_at: "2026-01-01T00:00:00.000Z", ended_at: "2026-01-01T00:00:01.000Z" };
    const before: StepCall[] = [{ kind: "tool", ...span, server: "kv", tool: "get", result: "x".repeat(REPLAY_RECORD_BUDGET - 2) }];
    const resumed = new CallTimeline(before);
    await resumed.timedToolbox(toolbox()).call("set", {});
    expect("result" in resumed.list()[1]!).toBe(false);
    // With the budget free, the same 4-character result is kept.
    const fresh = new CallTimeline();
    await fresh.timedToolbox(toolbox()).call("set", {});
    expect(fresh.list()[0]).toMatchObject({ result: "done" });
  });

  it("continues a resumed host's records and keeps at most the first MAX_RECORDED_CALLS", async () => {
    const before: StepCall[] = [{ kind: "tool", started_at: "2026-01-01T00:00:00.000Z", ended_at: "2026-01-01T00:00:01.000Z", server: "kv", tool: "get" }];
    const timeline = new CallTimeline(before);
    const tools = timeline.timedToolbox(toolbox());
    for (let i = 0; i < MAX_RECORDED_CALLS + 5; i++) await tools.call("set", {});
    const calls = timeline.list();
    expect(calls).toHaveLength(MAX_RECORDED_CALLS);
    expect(calls[0]).toEqual(before[0]);
  });
});
