// Which model answered: the runtime reports the gateway's `model_resolved` in a step's
// metrics, the last call's model plus every distinct one when a group's fallback had
// different models answer. Runtime → real gateway → fake provider.
import { beforeEach, describe, expect, it } from "vitest";
import { checkpoints, invokeRequest, kvServer, newRunId, providerCalls, resetProvider, runAgent, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

describe("the models that answered a step", () => {
  it("a one-model group: the callback and every checkpoint name the model the group resolved to", async () => {
    const runId = newRunId("one-model");
    await scriptProvider({ tool_calls: [{ id: "call_list", name: "list", arguments: {} }] }, { text: '{"answer": "done"}' });
    const callback = await runAgent(
      invokeRequest(runId, { model: { group: "openai", max_tokens: 256 }, tool_servers: [kvServer({ persistent_id: `ns-${runId}` })] }),
    );
    expect(callback).toMatchObject({ status: "ok", metrics: { llm_calls: 2, model_resolved: "fake/gpt-4o-mini" } });
    expect(callback.metrics).not.toHaveProperty("models_resolved");
    const saved = await checkpoints(runId);
    expect(saved.length).toBeGreaterThan(0);
    for (const checkpoint of saved) expect(checkpoint.metrics.model_resolved).toBe("fake/gpt-4o-mini");
  });

  it("a fallback group whose calls were answered by different models: the last call's model, and both listed", async () => {
    const runId = newRunId("fallback");
    // Turn 1: Anthropic is overloaded, the group falls back to OpenAI, which asks for a tool.
    // Turn 2: Anthropic answers.
    await scriptProvider(
      { status: 503, error: { message: "overloaded" } },
      { tool_calls: [{ id: "call_list", name: "list", arguments: {} }] },
      { text: '{"answer": "done"}' },
    );
    const callback = await runAgent(
      invokeRequest(runId, { model: { group: "failover", max_tokens: 256 }, tool_servers: [kvServer({ persistent_id: `ns-${runId}` })] }),
    );
    expect((await providerCalls()).map((call) => call.api)).toEqual(["anthropic", "openai", "anthropic"]);
    expect(callback).toMatchObject({ status: "ok", output: { answer: "done" } });
    expect(callback.metrics).toMatchObject({
      llm_calls: 2,
      model_resolved: "claude/claude-sonnet-4-6",
      models_resolved: ["fake/gpt-4o-mini", "claude/claude-sonnet-4-6"],
    });
    // A checkpoint written after the first reply names the model that answered so far.
    const [first] = await checkpoints(runId);
    expect(first?.metrics).toMatchObject({ llm_calls: 1, model_resolved: "fake/gpt-4o-mini" });
    expect(first?.metrics).not.toHaveProperty("models_resolved");
  });
});
