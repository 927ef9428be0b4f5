// The agent loop end to end: runtime → real gateway → fake provider, tools from the real
// tools Worker, results and checkpoints at the recording orchestrator.
import { env } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { beforeEach, describe, expect, it } from "vitest";
import { promptFingerprint } from "../../../shared/replay/fingerprint.ts";
import { checkpoints, invokeRequest, kvServer, newRunId, providerCalls, resetProvider, runAgent, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

/** Reads a kv key straight from the tools Worker (namespace = persistent_id). */
async function kvGet(key: string, persistentId: string): Promise<string> {
  const transport = new StreamableHTTPClientTransport(new URL(`https://tools/mcp/kv?persistentId=${persistentId}`), {
    fetch: (url, init) => env.TOOLS.fetch(new Request(url, init)),
  });
  const client = new Client({ name: "test", version: "1" });
  await client.connect(transport);
  const result = await client.callTool({ name: "get", arguments: { key } });
  await client.close();
  return (result.content as Array<{ text: string }>)[0]!.text;
}

describe("agent loop with tools", () => {
  it("runs a multi-turn agent that sets then gets a kv value, with native tool messages and a checkpoint per change", async () => {
    const runId = newRunId("kv");
    const ns = `ns-${runId}`;
    await scriptProvider(
      { text: "Storing it.", tool_calls: [{ id: "call_set", name: "set", arguments: { key: "color", value: "teal" } }] },
      { tool_calls: [{ id: "call_get", name: "get", arguments: { key: "color" } }] },
      { text: '{"answer": "teal"}' },
    );
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [kvServer({ persistent_id: ns })] }));
    expect(callback).toMatchObject({ status: "ok", output: { answer: "teal" }, metrics: { llm_calls: 3, tool_calls: 2 } });
    expect(await kvGet("color", ns)).toBe('"teal"');

    // History is native: assistant tool_calls then tool results paired by id.
    expect(callback.messages).toEqual([
      expect.objectContaining({ role: "system" }),
      { role: "user", content: "Do the thing." },
      { role: "assistant", content: "Storing it.", tool_calls: [{ id: "call_set", name: "set", arguments: { key: "color", value: "teal" } }] },
      { role: "tool", tool_call_id: "call_set", content: '{"ok":true}' },
      { role: "assistant", content: "", tool_calls: [{ id: "call_get", name: "get", arguments: { key: "color" } }] },
      { role: "tool", tool_call_id: "call_get", content: '"teal"' },
      { role: "assistant", content: '{"answer": "teal"}' },
    ]);

    // The call records keep what a replay answers a fanout item from: each request's fingerprint
    // (the conversation before that reply), the replies that asked for tools, the tool results.
    const messages = callback.messages!;
    const replies = messages.flatMap((m, i) => (m.role === "assistant" ? [i] : []));
    const sentBefore = (k: number) => messages.slice(0, replies[k - 1]);
    expect(callback.calls!.map((c) => (c.kind === "llm" ? ["llm", c.prompt, c.reply] : ["tool", c.tool, c.result]))).toEqual([
      [
        "llm",
        promptFingerprint(sentBefore(1)),
        { content: "Storing it.", tool_calls: [{ id: "call_set", name: "set", arguments: { key: "color", value: "teal" } }] },
      ],
      ["tool", "set", '{"ok":true}'],
      ["llm", promptFingerprint(sentBefore(2)), { content: "", tool_calls: [{ id: "call_get", name: "get", arguments: { key: "color" } }] }],
      ["tool", "get", '"teal"'],
      // The last reply is the output: not kept twice.
      ["llm", promptFingerprint(sentBefore(3)), undefined],
    ]);

    const calls = await providerCalls();
    expect(calls).toHaveLength(3);
    expect(calls[0]!.body.tools?.map((t) => t.function.name).sort()).toEqual(["delete", "get", "increment", "list", "set"]);
    const third = calls[2]!.body.messages;
    expect(third.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_get", content: '"teal"' });
    expect(third.at(-2)).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_get", function: { name: "get" } }] });

    // A checkpoint after each LLM reply with tool calls and after each tool result.
    const saved = await checkpoints(runId);
    expect(saved.map((c) => [c.turn, c.messages.length])).toEqual([
      [1, 3],
      [1, 4],
      [2, 5],
      [2, 6],
    ]);
    expect(saved[3]).toMatchObject({ attempt: 1, metrics: { llm_calls: 2, tool_calls: 2 } });
  });

  it("offers only allowlisted tools and refuses a call outside the allowlist without running it", async () => {
    const runId = newRunId("allow");
    const ns = `ns-${runId}`;
    await scriptProvider({ tool_calls: [{ id: "call_set", name: "set", arguments: { key: "secret", value: 1 } }] }, { text: '{"answer": "refused"}' });
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [kvServer({ allowlist: ["get", "li*"], persistent_id: ns })] }));
    expect(callback).toMatchObject({ status: "ok", metrics: { tool_calls: 0 } });
    expect(callback.messages?.[3]).toEqual({ role: "tool", tool_call_id: "call_set", content: "tool_not_permitted: set" });
    expect(await kvGet("secret", ns)).toBe("null");
    const [first] = await providerCalls();
    expect(first!.body.tools?.map((t) => t.function.name).sort()).toEqual(["get", "list"]);
  });

  it("forces a final turn without tools at max_turns, then fails with max_turns_exceeded", async () => {
    const runId = newRunId("maxturns");
    const call = (id: string) => ({ tool_calls: [{ id, name: "list", arguments: {} }] });
    await scriptProvider(call("c1"), call("c2"));
    const callback = await runAgent(invokeRequest(runId, { max_turns: 2, tool_servers: [kvServer({ persistent_id: `ns-${runId}` })] }));
    expect(callback).toMatchObject({ status: "failed", error: "max_turns_exceeded", output: null, metrics: { llm_calls: 2, tool_calls: 2 } });
    const calls = await providerCalls();
    expect(calls[0]!.body.tools).toBeDefined();
    expect(calls[1]!.body.tools).toBeUndefined();
    expect(calls[1]!.body.messages.at(-1)).toMatchObject({
      role: "user",
      content: "You have reached the maximum number of tool calls. Provide your final answer now without requesting any additional tools.",
    });
  });

  it("fails discovery of an unknown first-party server without calling the gateway", async () => {
    const runId = newRunId("discover");
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [kvServer({ name: "ghost", url: "ktsu://tools/ghost" })] }));
    expect(callback.status).toBe("failed");
    expect(callback.error).toMatch(/^discover tools from ghost: initialize server ghost: /);
    expect(callback.messages).toBeUndefined();
    expect(await providerCalls()).toHaveLength(0);
  });
});

describe("output extraction and corrections", () => {
  it("asks for valid JSON after an invalid reply (a turn is consumed) and accepts prose around an object", async () => {
    const runId = newRunId("correct");
    await scriptProvider({ text: "I think the answer is forty-two." }, { text: 'Sure! {"answer": "42"} Hope that helps.' });
    const callback = await runAgent(invokeRequest(runId));
    expect(callback).toMatchObject({ status: "ok", output: { answer: "42" }, metrics: { llm_calls: 2 } });
    const calls = await providerCalls();
    expect(calls[1]!.body.messages.slice(-2)).toMatchObject([
      { role: "assistant", content: "I think the answer is forty-two." },
      { role: "user", content: "Your response was not valid JSON. Please respond with only a valid JSON object and nothing else." },
    ]);
  });

  it("makes one free correction call after the last turn, and fails with raw_output when it is still invalid", async () => {
    const ok = newRunId("free-ok");
    await scriptProvider({ text: "nope" }, { text: '{"answer": "fixed"}' });
    expect(await runAgent(invokeRequest(ok, { max_turns: 1 }))).toMatchObject({ status: "ok", output: { answer: "fixed" }, metrics: { llm_calls: 2 } });

    await resetProvider();
    const bad = newRunId("free-bad");
    await scriptProvider({ text: "still nope" }, { text: "[1, 2]" });
    expect(await runAgent(invokeRequest(bad, { max_turns: 1 }))).toMatchObject({
      status: "failed",
      error: "max_turns_exceeded",
      raw_output: "still nope",
      metrics: { llm_calls: 2 },
    });
  });

  it("surfaces a gateway error as the step error", async () => {
    const runId = newRunId("gwerr");
    const callback = await runAgent(invokeRequest(runId, { model: { group: "no-such-group", max_tokens: 100 } }));
    expect(callback.status).toBe("failed");
    expect(callback.error).toMatch(/^gateway error unknown_group: .*no-such-group/);
  });
});

describe("reflect", () => {
  const reflectSchema = {
    type: "object",
    properties: { answer: { type: "string" }, ktsu_confidence: { type: "number" } },
  };

  it("replaces the draft with the reflect output, with no tool history", async () => {
    const runId = newRunId("reflect");
    await scriptProvider({ text: '{"answer": "draft"}' }, { text: '{"answer": "better"}' });
    const callback = await runAgent(invokeRequest(runId, { reflect: "Improve the answer." }));
    expect(callback).toMatchObject({ status: "ok", output: { answer: "better" }, metrics: { llm_calls: 2, reflect_calls: 1 } });
    const calls = await providerCalls();
    expect(calls[1]!.body.messages).toEqual([
      { role: "system", content: "Improve the answer." },
      { role: "user", content: "Do the thing." },
      { role: "user", content: '{"answer":"draft"}' },
    ]);
  });

  it("skips reflect when the draft's ktsu_confidence reaches the threshold", async () => {
    const runId = newRunId("reflect-skip");
    await scriptProvider({ text: '{"answer": "sure", "ktsu_confidence": 0.8}' });
    const callback = await runAgent(invokeRequest(runId, { reflect: "Improve.", output_schema: reflectSchema, confidence_threshold: 0.8 }));
    expect(callback).toMatchObject({ status: "ok", output: { answer: "sure", ktsu_confidence: 0.8 }, metrics: { llm_calls: 1 } });
    expect(callback.metrics.reflect_calls).toBeUndefined();
  });

  it("fails with reflect_output_invalid after one reflect correction", async () => {
    const runId = newRunId("reflect-bad");
    await scriptProvider({ text: '{"answer": "draft", "ktsu_confidence": 0.1}' }, { text: "hmm" }, { text: "still hmm" });
    const callback = await runAgent(invokeRequest(runId, { reflect: "Improve.", output_schema: reflectSchema, confidence_threshold: 0.8 }));
    expect(callback).toMatchObject({
      status: "failed",
      error: "reflect_output_invalid",
      raw_output: "still hmm",
      metrics: { llm_calls: 3, reflect_calls: 2 },
    });
  });

  it("fails on a fatal reserved flag before reflecting", async () => {
    const runId = newRunId("reflect-fatal");
    await scriptProvider({ text: '{"answer": "x", "ktsu_injection_attempt": "yes"}' });
    const callback = await runAgent(invokeRequest(runId, { reflect: "Improve." }));
    expect(callback).toMatchObject({ status: "failed", error: "injection attempt detected", metrics: { llm_calls: 1 } });
  });
});
