import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Message, Usage } from "@anthropic-ai/sdk/resources/messages/messages";
import type { ErrorResponse } from "@anthropic-ai/sdk/resources/shared";
import type { ChatCompletion, ChatCompletionMessageToolCall } from "openai/resources/chat/completions/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type { ErrorObject } from "openai/resources/shared";
import { SCHEMA_MARKER, startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider({ port: 0 });
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => fake.reset());

const ANTHROPIC_HEADERS = {
  "content-type": "application/json",
  "x-api-key": "test-key",
  "anthropic-version": "2023-06-01",
};
const OPENAI_HEADERS = { "content-type": "application/json", authorization: "Bearer sk-test" };

function anthropicBody(extra: Record<string, unknown> = {}) {
  return {
    model: "claude-test",
    max_tokens: 256,
    messages: [{ role: "user", content: "Say hello to Kyle" }],
    ...extra,
  };
}
function openaiBody(extra: Record<string, unknown> = {}) {
  return { model: "gpt-test", messages: [{ role: "user", content: "Say hello to Kyle" }], ...extra };
}

// Bodies are checked with expect(), so let json() be untyped like a plain JS client. The expected
// shapes are typed with the official SDKs' types (`satisfies`), so they are the real APIs' shapes.
// biome-ignore lint/suspicious/noExplicitAny: the tests read provider replies as a plain JavaScript client would
type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };

function get(path: string, init?: RequestInit): Promise<JsonResponse> {
  return fetch(fake.url + path, init);
}
function post(path: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal): Promise<JsonResponse> {
  return fetch(fake.url + path, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}
/** Anthropic's usage object with the token counts given and the fields the fake does not model. */
function anthropicUsage(tokens: Pick<Usage, "input_tokens" | "output_tokens" | "cache_creation_input_tokens" | "cache_read_input_tokens">): Usage {
  return { ...tokens, cache_creation: null, inference_geo: null, output_tokens_details: null, server_tool_use: null, service_tier: "standard", speed: null };
}

const anthropicCall = (body: unknown = anthropicBody(), headers: Record<string, string> = ANTHROPIC_HEADERS) => post("/v1/messages", body, headers);
const openaiCall = (body: unknown = openaiBody(), headers: Record<string, string> = OPENAI_HEADERS) => post("/v1/chat/completions", body, headers);

describe("Anthropic Messages API", () => {
  it("returns a text message in Anthropic's shape", async () => {
    fake.script({ text: "hi there", usage: { input_tokens: 12, output_tokens: 3 } });
    const res = await anthropicCall();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: "message",
      role: "assistant",
      model: "claude-test",
      content: [{ type: "text", text: "hi there", citations: null }],
      container: null,
      diagnostics: null,
      stop_details: null,
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: anthropicUsage({ input_tokens: 12, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }),
    } satisfies Message);
  });

  it("maps scripted tool calls to tool_use blocks", async () => {
    fake.script({
      text: "Looking it up.",
      tool_calls: [
        { id: "toolu_given", name: "kv_get", arguments: { key: "a" } },
        { name: "kv_set", arguments: { key: "b", value: { n: 1 } } },
      ],
    });
    const body = await (await anthropicCall()).json();
    expect(body.stop_reason).toBe("tool_use");
    expect(body.content).toEqual([
      { type: "text", text: "Looking it up.", citations: null },
      { type: "tool_use", id: "toolu_given", name: "kv_get", input: { key: "a" }, caller: { type: "direct" } },
      { type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "kv_set", input: { key: "b", value: { n: 1 } }, caller: { type: "direct" } },
    ] satisfies Message["content"]);
  });

  it("accepts the path without /v1 and honours a scripted stop_reason", async () => {
    fake.script({ text: "cut", stop_reason: "length" });
    const res = await post("/messages", anthropicBody(), ANTHROPIC_HEADERS);
    expect(res.status).toBe(200);
    expect((await res.json()).stop_reason).toBe("max_tokens");
  });

  it("answers 401 without credentials and does not consume the script", async () => {
    fake.script({ text: "kept" });
    const noCredentials: Record<string, string>[] = [
      { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      { "content-type": "application/json", "x-api-key": "k" },
      { ...ANTHROPIC_HEADERS, "x-api-key": "" },
    ];
    for (const headers of noCredentials) {
      const res = await anthropicCall(anthropicBody(), headers);
      expect(res.status).toBe(401);
      const body = await res.json();
      expect(body).toEqual({
        type: "error",
        error: { type: "authentication_error", message: expect.any(String) },
        request_id: null,
      } satisfies ErrorResponse);
    }
    const ok = await (await anthropicCall()).json();
    expect(ok.content[0].text).toBe("kept");
  });

  it("rejects malformed JSON, streaming and missing fields with 400", async () => {
    const bad = await anthropicCall("{not json");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.type).toBe("invalid_request_error");

    const stream = await anthropicCall(anthropicBody({ stream: true }));
    expect(stream.status).toBe(400);
    expect((await stream.json()).error.message).toBe("streaming not supported by the fake provider");

    const noMax = await anthropicCall({ model: "m", messages: [{ role: "user", content: "x" }] });
    expect(noMax.status).toBe(400);
  });

  it("reports cache token usage", async () => {
    fake.script({ text: "x", usage: { input_tokens: 5, output_tokens: 2, cache_read_tokens: 100, cache_write_tokens: 40 } });
    const body = await (await anthropicCall()).json();
    expect(body.usage).toEqual(anthropicUsage({ input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: 40, cache_read_input_tokens: 100 }));
  });

  it("estimates usage from characters when not scripted", async () => {
    const text = "a".repeat(41);
    fake.script({ text });
    const body = await (await anthropicCall(anthropicBody({ system: "b".repeat(23) }))).json();
    // "Say hello to Kyle" (17) + system (23) = 40 chars -> 10 tokens; 41 chars -> 11 tokens.
    expect(body.usage.input_tokens).toBe(10);
    expect(body.usage.output_tokens).toBe(11);
  });
});

describe("OpenAI Chat Completions API", () => {
  it("returns a completion in OpenAI's shape", async () => {
    fake.script({ text: "hi there", usage: { input_tokens: 12, output_tokens: 3 } });
    const res = await openaiCall();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "gpt-test",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "hi there", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 3,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    } satisfies ChatCompletion);
  });

  it("maps scripted tool calls with JSON-string arguments", async () => {
    fake.script({ tool_calls: [{ name: "kv_get", arguments: { key: "a", n: [1, 2] } }] });
    const body = await (await post("/chat/completions", openaiBody(), OPENAI_HEADERS)).json();
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls[0];
    expect(call).toEqual({
      id: expect.stringMatching(/^call_/),
      type: "function",
      function: { name: "kv_get", arguments: expect.any(String) },
    } satisfies ChatCompletionMessageToolCall);
    expect(JSON.parse(call.function.arguments)).toEqual({ key: "a", n: [1, 2] });
  });

  it("translates Anthropic stop vocabulary", async () => {
    fake.script({ text: "cut", stop_reason: "max_tokens" });
    const body = await (await openaiCall()).json();
    expect(body.choices[0].finish_reason).toBe("length");
  });

  it("answers 401 without a bearer token", async () => {
    const noCredentials: Record<string, string>[] = [
      { "content-type": "application/json" },
      { "content-type": "application/json", authorization: "Bearer " },
      { "content-type": "application/json", authorization: "sk-test" },
    ];
    for (const headers of noCredentials) {
      const res = await openaiCall(openaiBody(), headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" } satisfies ErrorObject,
      });
    }
  });

  it("rejects malformed JSON and streaming with 400", async () => {
    const bad = await openaiCall('{"model": "x", ');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ type: "invalid_request_error", message: expect.any(String) });
    const stream = await openaiCall(openaiBody({ stream: true }));
    expect(stream.status).toBe(400);
    expect((await stream.json()).error.message).toBe("streaming not supported by the fake provider");
  });

  it("reports cached tokens inside prompt_tokens", async () => {
    fake.script({ text: "x", usage: { input_tokens: 5, output_tokens: 2, cache_read_tokens: 100 } });
    const body = await (await openaiCall()).json();
    expect(body.usage).toEqual({
      prompt_tokens: 105,
      completion_tokens: 2,
      total_tokens: 107,
      prompt_tokens_details: { cached_tokens: 100 },
    } satisfies CompletionUsage);
  });
});

describe("scripted failures", () => {
  it("sends a scripted rate-limit error with retry-after in each API's shape", async () => {
    const reply = {
      status: 429,
      error: { message: "slow down", code: "rate_limit_exceeded" },
      headers: { "retry-after": "7" },
    };
    fake.script(reply, reply);

    const a = await anthropicCall();
    expect(a.status).toBe(429);
    expect(a.headers.get("retry-after")).toBe("7");
    expect(await a.json()).toEqual({ type: "error", error: { type: "rate_limit_error", message: "slow down" }, request_id: null } satisfies ErrorResponse);

    const o = await openaiCall();
    expect(o.status).toBe(429);
    expect(o.headers.get("retry-after")).toBe("7");
    expect(await o.json()).toEqual({
      error: { message: "slow down", type: "rate_limit_exceeded", param: null, code: "rate_limit_exceeded" } satisfies ErrorObject,
    });
  });

  it("uses a scripted error type and defaults the status to 500", async () => {
    fake.script({ error: { type: "overloaded_error", message: "busy" } }, { status: 503 });
    const a = await anthropicCall();
    expect(a.status).toBe(500);
    expect((await a.json()).error).toEqual({ type: "overloaded_error", message: "busy" });
    const o = await openaiCall();
    expect(o.status).toBe(503);
    expect((await o.json()).error.type).toBe("server_error");
  });

  it("sends raw_body verbatim", async () => {
    fake.script(
      { raw_body: '{"id":"msg_1","content":[{"type":"te' },
      { raw_body: '{"error":{"message":"surprise"}}' },
      { raw_body: "oops", status: 502, headers: { "content-type": "text/plain" } },
    );
    const truncated = await anthropicCall();
    expect(truncated.status).toBe(200);
    expect(await truncated.text()).toBe('{"id":"msg_1","content":[{"type":"te');
    const errorBody = await openaiCall();
    expect(errorBody.status).toBe(200);
    expect(await errorBody.text()).toBe('{"error":{"message":"surprise"}}');
    const plain = await openaiCall();
    expect(plain.status).toBe(502);
    expect(plain.headers.get("content-type")).toBe("text/plain");
    expect(await plain.text()).toBe("oops");
  });

  it("waits delay_ms before answering", async () => {
    fake.script({ text: "late", delay_ms: 250 });
    const started = Date.now();
    const body = await (await anthropicCall()).json();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(body.content[0].text).toBe("late");
  });

  it("hangs until the client gives up, then keeps serving", async () => {
    fake.script({ hang: true }, { text: "after" });
    const aborted = post("/v1/chat/completions", openaiBody(), OPENAI_HEADERS, AbortSignal.timeout(200));
    await expect(aborted).rejects.toThrow();
    const body = await (await openaiCall()).json();
    expect(body.choices[0].message.content).toBe("after");
  });

  it("close() does not wait for hung requests", async () => {
    const other = await startFakeProvider();
    other.script({ hang: true });
    const pending = fetch(`${other.url}/v1/messages`, {
      method: "POST",
      headers: ANTHROPIC_HEADERS,
      body: JSON.stringify(anthropicBody()),
    });
    // Wait until the server has the request before closing.
    while (other.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
    // The request hangs forever: a close() that waited for it would never return (the test would time out).
    await other.close();
    await expect(pending).rejects.toThrow();
  });
});

describe("default responder", () => {
  const schema = {
    type: "object",
    required: ["greeting", "summary", "count", "ok", "details", "tags", "mood"],
    properties: {
      greeting: { type: "string" },
      summary: { type: "string" },
      count: { type: "integer", minimum: 3 },
      ratio: { type: "number" },
      ok: { type: "boolean" },
      mood: { enum: ["happy", "sad"] },
      kind: { const: "greeting" },
      maybe: { type: ["string", "null"] },
      tags: { type: "array", items: { type: "string" }, minItems: 2 },
      empty: { type: "array", items: { type: "number" } },
      details: {
        type: "object",
        required: ["name", "nested"],
        properties: {
          name: { type: "string" },
          nested: {
            type: "object",
            required: ["level"],
            properties: {
              level: { type: "integer" },
              items: { type: "array", minItems: 1, items: { type: "object", properties: { x: { type: "boolean" } }, required: ["x"] } },
            },
          },
        },
      },
      ktsu_confidence: { type: "number" },
      ktsu_skip_reason: { type: "string" },
    },
    additionalProperties: false,
  };
  const systemPrompt = (s: unknown) =>
    `You are a greeter.\n\n${SCHEMA_MARKER}\n{"type":"object","properties":{"stale":{"type":"string"}}}\n\n` +
    `Earlier schema above is superseded.\n${SCHEMA_MARKER}\n${JSON.stringify(s, null, 2)}\n\nRespond with JSON only.`;

  function checkReply(text: string) {
    const value = JSON.parse(text);
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    return value;
  }

  it("fills a nested schema from the Anthropic system prompt (array of blocks)", async () => {
    const res = await anthropicCall(
      anthropicBody({
        system: [{ type: "text", text: systemPrompt(schema), cache_control: { type: "ephemeral" } }],
        tools: [{ name: "kv_get", description: "get", input_schema: { type: "object" } }],
      }),
    );
    const body = await res.json();
    expect(body.stop_reason).toBe("end_turn");
    expect(body.content).toHaveLength(1);
    const value = checkReply(body.content[0].text);
    expect(value.greeting).toBe("Hello, Kyle!");
    expect(value.summary).toBe("summary: Say hello to Kyle");
    expect(value.count).toBe(3);
    expect(value.ratio).toBe(1);
    expect(value.ok).toBe(true);
    expect(value.mood).toBe("happy");
    expect(value.kind).toBe("greeting");
    expect(value.tags).toHaveLength(2);
    expect(value.empty).toEqual([]);
    expect(value.details.nested.items).toEqual([{ x: true }]);
    expect(value).not.toHaveProperty("stale");
    expect(value).not.toHaveProperty("ktsu_confidence");
    expect(value).not.toHaveProperty("ktsu_skip_reason");
  });

  it("fills the schema from the OpenAI system message, ignoring earlier tool turns", async () => {
    const res = await openaiCall(
      openaiBody({
        messages: [
          { role: "system", content: systemPrompt(schema) },
          { role: "user", content: [{ type: "text", text: "please say hello to Ann." }] },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "call_1", content: "result" },
        ],
      }),
    );
    const value = checkReply((await res.json()).choices[0].message.content);
    expect(value.greeting).toBe("Hello, Ann!");
  });

  it("includes required ktsu_* fields", async () => {
    const s = {
      type: "object",
      required: ["answer", "ktsu_confidence", "ktsu_needs_review"],
      properties: {
        answer: { type: "string" },
        ktsu_confidence: { type: "number" },
        ktsu_needs_review: { type: "boolean" },
      },
    };
    const body = await (await anthropicCall(anthropicBody({ system: `${SCHEMA_MARKER}\n${JSON.stringify(s)}` }))).json();
    expect(JSON.parse(body.content[0].text)).toEqual({
      answer: "answer: Say hello to Kyle",
      ktsu_confidence: 1,
      ktsu_needs_review: false,
    });
  });

  it('answers {"ok":true} without a schema', async () => {
    const a = await (await anthropicCall()).json();
    expect(JSON.parse(a.content[0].text)).toEqual({ ok: true });
    const o = await (await openaiCall()).json();
    expect(JSON.parse(o.choices[0].message.content)).toEqual({ ok: true });
  });

  it("is used for a scripted reply that sets neither text nor tool calls", async () => {
    fake.script({ usage: { input_tokens: 9 } });
    const body = await (await anthropicCall()).json();
    expect(JSON.parse(body.content[0].text)).toEqual({ ok: true });
    expect(body.usage.input_tokens).toBe(9);
  });
});

describe("recording and control", () => {
  it("records every API call with headers and parsed body", async () => {
    await anthropicCall();
    await openaiCall(openaiBody(), { "content-type": "application/json" });
    await post("/chat/completions", "{bad", OPENAI_HEADERS);
    expect(fake.calls).toHaveLength(3);
    expect(fake.calls[0]).toMatchObject({
      api: "anthropic",
      path: "/v1/messages",
      headers: { "x-api-key": "test-key", "anthropic-version": "2023-06-01" },
      body: anthropicBody(),
    });
    expect(fake.calls[1]).toMatchObject({ api: "openai", path: "/v1/chat/completions", body: openaiBody() });
    expect(fake.calls[1]!.headers).not.toHaveProperty("authorization");
    expect(fake.calls[2]).toMatchObject({ api: "openai", path: "/chat/completions", body: "{bad" });
  });

  it("consumes the queue in order, then falls back to the default", async () => {
    fake.script({ text: "one" }, { text: "two" });
    const texts = [];
    for (let i = 0; i < 3; i++) texts.push((await (await anthropicCall()).json()).content[0].text);
    expect(texts).toEqual(["one", "two", '{"ok":true}']);
  });

  it("scripts, lists and resets over HTTP", async () => {
    const health = await get(`/health`);
    expect(await health.json()).toEqual({ status: "ok" });

    const scripted = await get(`/__fake/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ replies: [{ text: "from http" }, { status: 529, error: { message: "overloaded" } }] }),
    });
    expect(scripted.status).toBe(200);

    expect((await (await openaiCall()).json()).choices[0].message.content).toBe("from http");
    const overloaded = await anthropicCall();
    expect(overloaded.status).toBe(529);
    expect((await overloaded.json()).error.type).toBe("overloaded_error");

    const listed = await (await get(`/__fake/calls`)).json();
    expect(listed.calls.map((c: { api: string }) => c.api)).toEqual(["openai", "anthropic"]);
    expect(listed.calls[0].body).toEqual(openaiBody());

    fake.script({ text: "queued" });
    const reset = await get(`/__fake/reset`, { method: "POST" });
    expect(reset.status).toBe(200);
    expect((await (await get(`/__fake/calls`)).json()).calls).toEqual([]);
    expect(fake.calls).toEqual([]);
    // The queued reply was cleared too.
    expect((await (await anthropicCall()).json()).content[0].text).toBe('{"ok":true}');
  });

  it("rejects a malformed script and unknown routes", async () => {
    const bad = await get(`/__fake/script`, { method: "POST", body: '{"replies": "nope"}' });
    expect(bad.status).toBe(400);
    const missing = await get(`/v2/whatever`);
    expect(missing.status).toBe(404);
  });
});

describe("CLI", () => {
  it("prints its URL, serves, and exits on SIGTERM", async () => {
    const main = fileURLToPath(new URL("../fake-provider/main.ts", import.meta.url));
    const child = spawn(process.execPath, [main, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /fake provider listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${out}`)));
      });
      expect((await (await fetch(`${url}/health`)).json()) as unknown).toEqual({ status: "ok" });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

describe("plans (stateless per-agent scripts)", () => {
  it("answers each turn of the matching agent from its plan, whatever the number of concurrent conversations", async () => {
    const provider = await startFakeProvider();
    try {
      provider.plan({
        match: "You are the kv demo",
        replies: [{ tool_calls: [{ id: "t1", name: "set", arguments: { key: "k", value: 1 } }] }, { text: '{"done": true}' }],
      });
      const ask = async (messages: unknown[]) => {
        const res = await fetch(`${provider.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: "Bearer k", "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages: [{ role: "system", content: "You are the kv demo." }, ...messages] }),
        });
        return (await res.json()) as { choices: Array<{ message: { content: string | null; tool_calls?: Array<{ function: { name: string } }> } }> };
      };
      const first = await ask([{ role: "user", content: "go" }]);
      expect(first.choices[0]!.message.tool_calls?.[0]?.function.name).toBe("set");
      const second = await ask([
        { role: "user", content: "go" },
        { role: "assistant", content: null, tool_calls: [{ id: "t1", type: "function", function: { name: "set", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "t1", content: "ok" },
      ]);
      expect(second.choices[0]!.message.content).toBe('{"done": true}');
      // The same first turn again gets the same first reply: no state was consumed.
      expect((await ask([{ role: "user", content: "again" }])).choices[0]!.message.tool_calls?.[0]?.function.name).toBe("set");
      const res = await fetch(`${provider.url}/__fake/plan`, { method: "POST", body: JSON.stringify({ plans: [{ match: "x" }] }) });
      expect(res.status).toBe(400);
    } finally {
      await provider.close();
    }
  });
});
