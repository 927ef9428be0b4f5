import { SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { invoke, invokeRequest, newRunId, providerCalls, resetProvider, runAgent, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

describe("POST /invoke", () => {
  it("answers health", async () => {
    const res = await SELF.fetch("https://runtime/health");
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("refuses bad bodies with the original's 400 texts", async () => {
    const bad = await invoke("{nope");
    expect(bad.status).toBe(400);
    expect(JSON.parse(await bad.text())).toEqual({ error: "invalid_request", message: "invalid JSON" });
    const missing = await invoke({ run_id: "r", step_id: "s" });
    expect(missing.status).toBe(400);
    expect(JSON.parse(await missing.text())).toEqual({ error: "invalid_request", message: "run_id, step_id, and callback_url are required" });
    // A field of the wrong type is refused by the contract's schema, naming the field.
    const wrongType = await invoke({ ...invokeRequest(newRunId("typed")), tool_servers: [{ name: "kv", url: 42, allowlist: [] }] });
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(await wrongType.text())).toMatchObject({ error: "invalid_request", field: "tool_servers[0].url" });
  });

  it("accepts at once, runs in the background and calls back with the output, metrics and attempt", async () => {
    const runId = newRunId("simple");
    await scriptProvider({ text: '```json\n{"answer": "forty-two"}\n```', usage: { input_tokens: 100, output_tokens: 20 } });
    const callback = await runAgent(invokeRequest(runId, { attempt: 3 }));
    expect(callback).toMatchObject({
      run_id: runId,
      step_id: "agent",
      status: "ok",
      output: { answer: "forty-two" },
      error: "",
      attempt: 3,
      metrics: { tokens_in: 100, tokens_out: 20, llm_calls: 1, tool_calls: 0, model_resolved: "fake/fake-model" },
    });
    expect(callback.metrics.cost_usd).toBeCloseTo((100 * 1 + 20 * 2) / 1e6, 12);
    expect(callback.messages?.map((m) => m.role)).toEqual(["system", "user", "assistant"]);

    const [call] = await providerCalls();
    const system = call!.body.messages[0]!;
    expect(system.role).toBe("system");
    // The schema goes after the system prompt, pretty-printed with sorted keys.
    expect(system.content).toBe(
      'You are a test agent.\n\nYour output MUST conform to this JSON schema:\n{\n  "properties": {\n    "answer": {\n      "type": "string"\n    }\n  },\n  "required": [\n    "answer"\n  ],\n  "type": "object"\n}',
    );
    expect(call!.body.messages[1]).toMatchObject({ role: "user", content: "Do the thing." });
    expect(call!.body.tools).toBeUndefined();
  });
});
