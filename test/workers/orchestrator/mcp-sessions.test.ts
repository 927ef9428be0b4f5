// `/mcp` sessions: an initialize opens one (a Durable Object whose id is the Mcp-Session-Id),
// later requests naming it reach it, a dropped call's stream resumes from its events, and a
// client that does not keep the id is still answered. Raw HTTP, to see the headers and streams.
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { describe, expect, it } from "vitest";
import { SseMessageReader } from "../../../shared/sse/messages.ts";
import { script } from "./helpers.ts";

const URL_MCP = "https://ktsu.test/mcp";
const VERSION = "2025-11-25";
const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

function rpc(id: number, method: string, params: Record<string, unknown> = {}): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

async function initialize(): Promise<string> {
  const res = await SELF.fetch(URL_MCP, {
    method: "POST",
    headers: HEADERS,
    body: rpc(1, "initialize", { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "raw", version: "1" } }),
  });
  expect(res.status).toBe(200);
  await res.text();
  const sessionId = res.headers.get("mcp-session-id");
  if (!sessionId) throw new Error("no Mcp-Session-Id on the initialize answer");
  return sessionId;
}

function inSession(sessionId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": VERSION, ...extra };
}

/** The JSON-RPC messages of an SSE answer, read until one answers `id` (or the stream ends); the last event id seen. */
async function readUntilAnswer(res: Response, id: number, stopAfterFirstEvent = false): Promise<{ messages: Record<string, unknown>[]; lastEventId?: string }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseMessageReader();
  const messages: Record<string, unknown>[] = [];
  let lastEventId: string | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { messages, lastEventId };
    for (const message of parser.push(value)) {
      lastEventId = message.id ?? lastEventId;
      if (message.data.trim() !== "") messages.push(JSON.parse(message.data) as Record<string, unknown>);
      if (stopAfterFirstEvent || messages.some((m) => m.id === id)) {
        await reader.cancel();
        return { messages, lastEventId };
      }
    }
  }
}

function toolCount(messages: Record<string, unknown>[], id: number): number {
  const answer = messages.find((m) => m.id === id)?.result as { tools?: unknown[] } | undefined;
  return answer?.tools?.length ?? 0;
}

describe("/mcp sessions", () => {
  it("an initialize opens a session; requests naming it are served there; DELETE ends it", async () => {
    const sessionId = await initialize();
    expect(sessionId).toMatch(/^[0-9a-f]{64}$/);
    const listed = await SELF.fetch(URL_MCP, { method: "POST", headers: inSession(sessionId), body: rpc(2, "tools/list") });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("mcp-session-id")).toBe(sessionId);
    const { messages } = await readUntilAnswer(listed, 2);
    expect(toolCount(messages, 2)).toBeGreaterThan(0);

    const ended = await SELF.fetch(URL_MCP, { method: "DELETE", headers: inSession(sessionId) });
    expect(ended.status).toBe(200);
    const after = await SELF.fetch(URL_MCP, { method: "POST", headers: inSession(sessionId), body: rpc(3, "tools/list") });
    expect(after.status).toBe(404);
  });

  it("a session outlives its object's instance: a new one replays the stored initialize and serves the session", async () => {
    const sessionId = await initialize();
    const stub = env.MCP_SESSIONS.get(env.MCP_SESSIONS.idFromString(sessionId));
    // What an eviction leaves: the object's storage, no server or transport in memory.
    await runInDurableObject(stub, async (instance) => {
      (instance as unknown as { live?: unknown }).live = undefined;
    });
    const listed = await SELF.fetch(URL_MCP, { method: "POST", headers: inSession(sessionId), body: rpc(2, "tools/list") });
    expect(listed.status).toBe(200);
    expect(toolCount((await readUntilAnswer(listed, 2)).messages, 2)).toBeGreaterThan(0);
  });

  it("a session id that is not one of ours is a 404 (the client initializes again)", async () => {
    // Not an object id at all, and the id of an object no initialize opened.
    for (const unknown of ["not-a-session", env.MCP_SESSIONS.newUniqueId().toString()]) {
      const res = await SELF.fetch(URL_MCP, { method: "POST", headers: inSession(unknown), body: rpc(2, "tools/list") });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: -32001 } });
    }
  });

  it("the SDK's client keeps the session id it was given", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(URL_MCP), { fetch: (url, init) => SELF.fetch(String(url), init) });
    const client = new Client({ name: "mcp-session-test", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^[0-9a-f]{64}$/);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await transport.terminateSession();
    await client.close();
  });

  it("a client that does not send the session id is answered without one", async () => {
    const res = await SELF.fetch(URL_MCP, { method: "POST", headers: HEADERS, body: rpc(7, "tools/list") });
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    const { messages } = await readUntilAnswer(res, 7);
    expect(toolCount(messages, 7)).toBeGreaterThan(0);
    // There is no stream to listen on, nor a session to end, without a session.
    for (const method of ["GET", "DELETE"]) {
      const refused = await SELF.fetch(URL_MCP, { method, headers: { accept: "text/event-stream" } });
      expect(refused.status).toBe(405);
      expect(refused.headers.get("allow")).toBe("POST");
    }
  });

  it("a call whose stream dropped is resumed with GET and Last-Event-ID: the result arrives on the new stream", async () => {
    const sessionId = await initialize();
    const call = await SELF.fetch(URL_MCP, {
      method: "POST",
      headers: inSession(sessionId),
      body: rpc(5, "tools/call", { name: "agent-free", arguments: { script: script({ delay_ms: 1500, output: { resumed: true } }) } }),
    });
    // The first event (the priming event) carries an id to resume from; then the client goes away.
    const first = await readUntilAnswer(call, 5, true);
    expect(first.lastEventId).toBeDefined();
    expect(first.messages.some((m) => m.id === 5)).toBe(false);

    const resumed = await SELF.fetch(URL_MCP, {
      method: "GET",
      headers: inSession(sessionId, { accept: "text/event-stream", "last-event-id": first.lastEventId! }),
    });
    expect(resumed.status).toBe(200);
    const { messages } = await readUntilAnswer(resumed, 5);
    const answer = messages.find((m) => m.id === 5)?.result as { structuredContent: { status: string } };
    expect(answer.structuredContent.status).toBe("complete");
  });
});
