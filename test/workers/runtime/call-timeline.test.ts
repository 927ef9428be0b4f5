// The step's call records: each LLM and tool call with its times and what answered it.
import { describe, expect, it } from "vitest";
import type { StepCall } from "../../../shared/contracts/runtime.ts";
import { MAX_RECORDED_CALLS } from "../../../shared/otel/limits.ts";
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
