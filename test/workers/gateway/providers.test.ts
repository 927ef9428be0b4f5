// Both wire formats, error normalization, malformed replies, request checks and
// credential hygiene, against the fake provider.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { expectNoSecretsLeaked, fakeCalls, gatewayEnv, invoke, invokeBody, onlyCall, request, resetFake, script } from "./helpers.ts";

beforeEach(resetFake);
afterAll(expectNoSecretsLeaked);

const TOOL = { name: "lookup", description: "Looks a word up", input_schema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } };

/** A conversation in which the assistant made two tool calls and got both results back. */
const TOOL_HISTORY = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Look up a and b." },
  {
    role: "assistant",
    content: "Checking.",
    tool_calls: [
      { id: "call_a", name: "lookup", arguments: { q: "a" } },
      { id: "call_b", name: "lookup", arguments: { q: "b" } },
    ],
  },
  { role: "tool", tool_call_id: "call_a", content: "A is the first letter" },
  { role: "tool", tool_call_id: "call_b", content: "B is the second letter" },
];

describe("Anthropic Messages API", () => {
  it("sends system, native tool calls and merged tool results, and returns the model's tool calls", async () => {
    await script({ tool_calls: [{ id: "toolu_9", name: "lookup", arguments: { q: "c" } }], usage: { input_tokens: 100, output_tokens: 20 } });
    const reply = await invoke(invokeBody({ group: "anthropic", messages: TOOL_HISTORY as never, tools: [TOOL] }));

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      content: "",
      model_resolved: "claude/claude-sonnet-4-6",
      tokens_in: 100,
      tokens_out: 20,
      cost_usd: 0.0006, // built-in 3/15 per million
      tool_calls: [{ id: "toolu_9", name: "lookup", arguments: { q: "c" } }],
    });

    const call = await onlyCall();
    expect(call.path).toBe("/v1/messages");
    expect(call.headers["x-api-key"]).toBe(gatewayEnv.FAKE_ANTHROPIC_KEY);
    expect(call.headers["anthropic-version"]).toBe("2023-06-01");
    expect(call.body).toEqual({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      temperature: 0,
      system: "You are terse.",
      messages: [
        { role: "user", content: "Look up a and b." },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "call_a", name: "lookup", input: { q: "a" } },
            { type: "tool_use", id: "call_b", name: "lookup", input: { q: "b" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "call_a", content: "A is the first letter" },
            { type: "tool_result", tool_use_id: "call_b", content: "B is the second letter" },
          ],
        },
      ],
      tools: [TOOL],
    });
  });

  it("keeps the last text block and prices cache reads at 0.1x and cache writes at 1.25x the input price", async () => {
    await script({
      raw_body: JSON.stringify({
        type: "message",
        role: "assistant",
        content: [
          { type: "text", text: "draft" },
          { type: "thinking", thinking: "hmm" },
          { type: "text", text: "final" },
        ],
        usage: { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 10_000, cache_creation_input_tokens: 2000 },
      }),
    });
    const reply = await invoke(invokeBody({ group: "anthropic" }));
    expect(reply.status).toBe(200);
    // (1000×3 + 10000×0.3 + 2000×3.75 + 100×15) / 1e6
    expect(reply.body).toEqual({
      content: "final",
      model_resolved: "claude/claude-sonnet-4-6",
      tokens_in: 13_000,
      tokens_out: 100,
      cost_usd: 0.015,
      cache_read_tokens: 10_000,
      cache_write_tokens: 2000,
    });
  });

  it("refuses a second system message before calling the provider", async () => {
    const reply = await invoke(
      invokeBody({
        group: "anthropic",
        messages: [
          { role: "system", content: "a" },
          { role: "system", content: "b" },
          { role: "user", content: "hi" },
        ],
      }),
    );
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: "internal_error", message: "anthropic provider: multiple system messages not supported", retryable: false });
    expect(await fakeCalls()).toHaveLength(0);
  });
});

describe("OpenAI Chat Completions", () => {
  it("sends function tool calls and tool messages, and parses the model's function calls", async () => {
    await script({ tool_calls: [{ id: "call_9", name: "lookup", arguments: { q: "c" } }], usage: { input_tokens: 1000, output_tokens: 500 } });
    const reply = await invoke(invokeBody({ group: "openai", messages: TOOL_HISTORY as never, tools: [TOOL], temperature: 0.3 }));

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      content: "",
      model_resolved: "fake/gpt-4o-mini",
      tokens_in: 1000,
      tokens_out: 500,
      cost_usd: 0.00045, // built-in 0.15/0.60 per million
      tool_calls: [{ id: "call_9", name: "lookup", arguments: { q: "c" } }],
    });

    const call = await onlyCall();
    expect(call.path).toBe("/v1/chat/completions");
    expect(call.headers.authorization).toBe(`Bearer ${gatewayEnv.FAKE_API_KEY}`);
    expect(call.body).toEqual({
      model: "gpt-4o-mini",
      max_tokens: 64,
      temperature: 0.3,
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Look up a and b." },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "lookup", arguments: '{"q":"a"}' } },
            { id: "call_b", type: "function", function: { name: "lookup", arguments: '{"q":"b"}' } },
          ],
        },
        { role: "tool", content: "A is the first letter", tool_call_id: "call_a" },
        { role: "tool", content: "B is the second letter", tool_call_id: "call_b" },
      ],
      tools: [{ type: "function", function: { name: "lookup", description: TOOL.description, parameters: TOOL.input_schema } }],
    });
  });

  it("keeps arguments that are not a JSON object as {_raw}", async () => {
    await script({
      raw_body: JSON.stringify({
        choices: [
          { message: { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "lookup", arguments: "{not json" } }] } },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5 },
      }),
    });
    const reply = await invoke(invokeBody({ group: "openai" }));
    expect(reply.status).toBe(200);
    expect(reply.body.tool_calls).toEqual([{ id: "c1", name: "lookup", arguments: { _raw: "{not json" } }]);
  });

  it("prices cached input at half the input price", async () => {
    await script({ usage: { input_tokens: 1000, cache_read_tokens: 4000, output_tokens: 500 } });
    const reply = await invoke(invokeBody({ group: "openai" }));
    expect(reply.status).toBe(200);
    // prompt_tokens 5000 of which 4000 cached: (1000×0.15 + 4000×0.075 + 500×0.6) / 1e6
    expect(reply.body).toMatchObject({ tokens_in: 5000, tokens_out: 500, cache_read_tokens: 4000, cost_usd: 0.00075 });
    expect(reply.body.cache_write_tokens).toBeUndefined();
  });

  it("costs 0.75 for a million tokens in and out on gpt-4o-mini", async () => {
    await script({ usage: { input_tokens: 1_000_000, output_tokens: 1_000_000 } });
    const reply = await invoke(invokeBody({ group: "openai" }));
    expect(reply.body).toMatchObject({ tokens_in: 1_000_000, tokens_out: 1_000_000, cost_usd: 0.75 });
  });
});

describe("provider errors", () => {
  it.each([
    {
      name: "anthropic 400",
      group: "anthropic",
      replies: [{ status: 400, error: { message: "max_tokens: too large" } }],
      status: 502,
      error: "provider_error",
      retryable: false,
      message: "claude/claude-sonnet-4-6: upstream returned 400: max_tokens: too large",
      calls: 1,
    },
    {
      name: "anthropic credit balance",
      group: "anthropic",
      replies: [{ status: 400, error: { message: "Your credit balance is too low to access the Anthropic API." } }],
      status: 402,
      error: "budget_exceeded",
      retryable: false,
      message: "claude/claude-sonnet-4-6: upstream returned 400: Your credit balance is too low to access the Anthropic API.",
      calls: 1,
    },
    {
      name: "anthropic 529 three times",
      group: "anthropic",
      replies: [529, 529, 529].map((status) => ({ status, error: { message: "Overloaded" } })),
      status: 502,
      error: "provider_error",
      retryable: true,
      message: "claude/claude-sonnet-4-6: upstream returned 529: Overloaded",
      calls: 3,
    },
    {
      name: "openai insufficient_quota",
      group: "openai",
      replies: [{ status: 429, error: { message: "You exceeded your current quota", code: "insufficient_quota" } }],
      status: 402,
      error: "budget_exceeded",
      retryable: false,
      message: "fake/gpt-4o-mini: upstream returned 429: You exceeded your current quota",
      calls: 1,
    },
    {
      name: "openai 404",
      group: "openai",
      replies: [{ status: 404, error: { message: "model not found" } }],
      status: 502,
      error: "provider_error",
      retryable: false,
      message: "fake/gpt-4o-mini: upstream returned 404: model not found",
      calls: 1,
    },
    {
      name: "openai HTML 502 three times",
      group: "openai",
      replies: [1, 2, 3].map(() => ({ status: 502, raw_body: "<html>bad gateway</html>" })),
      status: 502,
      error: "provider_error",
      retryable: true,
      message: "fake/gpt-4o-mini: upstream returned status 502",
      calls: 3,
    },
    {
      name: "openai 200 with a client error body",
      group: "openai",
      replies: [{ raw_body: JSON.stringify({ error: { message: "bad schema", type: "invalid_request_error" } }) }],
      status: 502,
      error: "provider_error",
      retryable: false,
      message: "fake/gpt-4o-mini: upstream returned 200 with an error: invalid_request_error: bad schema",
      calls: 1,
    },
    {
      name: "anthropic 200 with an error body",
      group: "anthropic",
      replies: [{ raw_body: JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "nope" } }) }],
      status: 502,
      error: "provider_error",
      retryable: false,
      message: "claude/claude-sonnet-4-6: upstream returned 200 with an error: invalid_request_error: nope",
      calls: 1,
    },
  ])("$name → $status $error", async ({ group, replies, status, error, retryable, message, calls }) => {
    await script(...replies);
    const reply = await invoke(invokeBody({ group }));
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error, message, retryable });
    expect(await fakeCalls()).toHaveLength(calls);
  });

  it("retries a transient error in a 200 body and succeeds", async () => {
    await script({ raw_body: JSON.stringify({ error: { message: "try later", type: "server_error" } }) }, { text: "ok" });
    const reply = await invoke(invokeBody({ group: "openai" }));
    expect(reply.status).toBe(200);
    expect(reply.body.content).toBe("ok");
    expect(await fakeCalls()).toHaveLength(2);
  });
});

describe("malformed provider replies", () => {
  it.each([
    { name: "truncated JSON", group: "anthropic", raw: '{"type":"message","content":[{"type":"te', message: /^anthropic provider: decode response: / },
    { name: "a JSON array", group: "anthropic", raw: "[]", message: /^anthropic provider: decode response: body is not a JSON object$/ },
    {
      name: "content that is not a list",
      group: "anthropic",
      raw: '{"content":"hi"}',
      message: /^anthropic provider: decode response: content is not an array$/,
    },
    {
      name: "no text or tool_use block",
      group: "anthropic",
      raw: '{"content":[{"type":"image"}],"usage":{}}',
      message: /^anthropic provider: no text or tool_use content block in response$/,
    },
    {
      name: "a tool_use block without a name",
      group: "anthropic",
      raw: '{"content":[{"type":"tool_use","id":"x"}]}',
      message: /tool_use block without id or name/,
    },
    { name: "truncated JSON", group: "openai", raw: '{"choices":[{"message":', message: /^openai provider: decode response: / },
    {
      name: "choices that is not a list",
      group: "openai",
      raw: '{"choices":{"0":{}}}',
      message: /^openai provider: decode response: choices is not an array$/,
    },
    { name: "empty choices", group: "openai", raw: '{"choices":[]}', message: /^openai provider: empty choices in response$/ },
    { name: "a null message", group: "openai", raw: '{"choices":[{"message":null}]}', message: /choices\[0\]\.message is not an object/ },
    {
      name: "no content and no tool calls",
      group: "openai",
      raw: '{"choices":[{"message":{"role":"assistant","content":""}}]}',
      message: /^openai provider: empty content and no tool calls in response$/,
    },
    {
      name: "a tool call without a function",
      group: "openai",
      raw: '{"choices":[{"message":{"tool_calls":[{"id":"x"}]}}]}',
      message: /tool call without a function name/,
    },
  ])("$group: $name → 500 internal_error", async ({ group, raw, message }) => {
    await script({ raw_body: raw });
    const reply = await invoke(invokeBody({ group }));
    expect(reply.status).toBe(500);
    expect(reply.body.error).toBe("internal_error");
    expect(reply.body.retryable).toBe(false);
    expect(reply.body.message).toMatch(message);
  });

  it("treats missing usage as zero tokens rather than failing a good answer", async () => {
    await script({ raw_body: '{"choices":[{"message":{"role":"assistant","content":"fine"}}]}' });
    const reply = await invoke(invokeBody({ group: "openai" }));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ content: "fine", tokens_in: 0, tokens_out: 0, cost_usd: 0 });
  });
});

describe("request checks", () => {
  it.each([
    { name: "invalid JSON", body: "{nope", status: 400, error: "invalid_request", message: /^invalid JSON: / },
    { name: "a JSON array", body: "[]", status: 400, error: "invalid_request", message: /the body must be an object/ },
    {
      name: "no messages",
      body: JSON.stringify({ group: "default", messages: [], max_tokens: 5 }),
      status: 400,
      error: "invalid_request",
      message: /messages must be a non-empty array/,
    },
    {
      name: "no max_tokens",
      body: JSON.stringify({ group: "default", messages: [{ role: "user", content: "x" }] }),
      status: 400,
      error: "invalid_request",
      message: /max_tokens must be a positive integer/,
    },
    {
      name: "a bad role",
      body: JSON.stringify({ group: "default", messages: [{ role: "robot", content: "x" }], max_tokens: 5 }),
      status: 400,
      error: "invalid_request",
      message: /messages\[0\]\.role/,
    },
    {
      name: "a tool message without tool_call_id",
      body: JSON.stringify({ group: "default", messages: [{ role: "tool", content: "x" }], max_tokens: 5 }),
      status: 400,
      error: "invalid_request",
      message: /tool_call_id is required/,
    },
    {
      name: "a budget without a run",
      body: JSON.stringify({ group: "default", messages: [{ role: "user", content: "x" }], max_tokens: 5, cost_budget_usd: 1 }),
      status: 400,
      error: "invalid_request",
      message: /needs run_id or budget_run_id/,
    },
    {
      name: "an unknown group",
      body: JSON.stringify({ group: "nope", messages: [{ role: "user", content: "x" }], max_tokens: 5 }),
      status: 400,
      error: "unknown_group",
      message: /^model group "nope" not found$/,
    },
    {
      name: "no group",
      body: JSON.stringify({ messages: [{ role: "user", content: "x" }], max_tokens: 5 }),
      status: 400,
      error: "unknown_group",
      message: /^model group "" not found$/,
    },
    {
      name: "a body over the limit",
      body: JSON.stringify(invokeBody({ messages: [{ role: "user", content: "x".repeat(70_000) }] })),
      status: 413,
      error: "payload_too_large",
      message: /exceeds 65536 bytes/,
    },
  ])("$name → $status $error", async ({ body, status, error, message }) => {
    const reply = await invoke(body);
    expect(reply.status).toBe(status);
    expect(reply.body.error).toBe(error);
    expect(reply.body.retryable).toBe(false);
    expect(reply.body.message).toMatch(message);
    expect(await fakeCalls()).toHaveLength(0);
  });
});

describe("credentials", () => {
  it("redacts a key the provider echoes in its error", async () => {
    await script({ status: 401, error: { message: `Incorrect API key provided: ${gatewayEnv.FAKE_API_KEY}.`, code: "invalid_api_key" } });
    const reply = await invoke(invokeBody({ group: "openai" }));
    expect(reply.status).toBe(502);
    expect(reply.body.message).toBe("fake/gpt-4o-mini: upstream returned 401: Incorrect API key provided: [REDACTED].");
  });

  it("reports the configuration without credentials", async () => {
    const reply = await request<{ status: string; providers: unknown[] }>("/config/check");
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe("ok");
    expect(reply.body.providers).toEqual([
      { name: "fake", type: "openai" },
      { name: "claude", type: "anthropic" },
      { name: "cfai", type: "workers_ai" },
      { name: "cfai-aig", type: "workers_ai" },
      { name: "claude-aig", type: "anthropic" },
      { name: "openai-aig", type: "openai" },
    ]);
  });

  it("keeps /health and /egress working", async () => {
    expect((await request("/health")).body).toEqual({ status: "ok" });
    const denied = await request<{ error: string }>("/egress", { method: "POST", headers: { "x-ktsu-egress-url": "http://127.0.0.1:9/" } });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe("egress_denied");
  });
});
