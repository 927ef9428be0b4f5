// The tools Worker's first-party MCP servers, driven with the MCP SDK client over the
// TOOLS binding (initialize, tools/list, tools/call, errors), plus `envelope` end to end.
import { env } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverTools } from "../../../workers/runtime/src/mcp/toolbox.ts";
import { invokeRequest, newRunId, resetProvider, runAgent, scriptProvider, setEnvelope } from "./helpers.ts";

let open: Client[] = [];

async function connect(path: string, headers: Record<string, string> = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`https://tools${path}`), {
    fetch: (url, init) => env.TOOLS.fetch(new Request(url, init)),
    requestInit: { headers },
  });
  const client = new Client({ name: "tools-test", version: "1" });
  await client.connect(transport);
  open.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ text: string; isError: boolean }> {
  const result = await client.callTool({ name, arguments: args });
  return { text: (result.content as Array<{ text: string }>)[0]?.text ?? "", isError: result.isError === true };
}

beforeEach(resetProvider);
afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
});

describe("kv server", () => {
  it("initializes and lists its five tools with input schemas", async () => {
    const client = await connect("/mcp/kv?persistentId=list-test");
    expect(client.getServerVersion()).toMatchObject({ name: "kv" });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["delete", "get", "increment", "list", "set"]);
    expect(tools.find((t) => t.name === "set")!.inputSchema).toMatchObject({ type: "object", required: ["key", "value"] });
  });

  it("sets, gets, lists, increments and deletes within one namespace", async () => {
    const ns = `kv-${Date.now()}`;
    const client = await connect(`/mcp/kv?persistentId=${ns}`);
    expect(await call(client, "set", { key: "a/1", value: { n: 1 } })).toEqual({ text: '{"ok":true}', isError: false });
    expect((await call(client, "get", { key: "a/1" })).text).toBe('{"n":1}');
    expect((await call(client, "get", { key: "missing" })).text).toBe("null");
    expect((await call(client, "increment", { key: "a/count" })).text).toBe('{"value":1}');
    expect((await call(client, "increment", { key: "a/count", by: 41 })).text).toBe('{"value":42}');
    await call(client, "set", { key: "b", value: "x" });
    expect((await call(client, "list", { prefix: "a/" })).text).toBe('{"keys":["a/1","a/count"]}');
    expect((await call(client, "list", { limit: 1 })).text).toBe('{"keys":["a/1"]}');
    expect((await call(client, "delete", { key: "a/1" })).text).toBe('{"deleted":true}');
    expect((await call(client, "delete", { key: "a/1" })).text).toBe('{"deleted":false}');

    // Another persistent_id is another store.
    const other = await connect(`/mcp/kv?persistentId=${ns}-other`);
    expect((await call(other, "get", { key: "b" })).text).toBe("null");
  });

  it("reports bad input and bad state as tool errors", async () => {
    const client = await connect(`/mcp/kv?persistentId=err-${Date.now()}`);
    await call(client, "set", { key: "word", value: "hello" });
    const notNumber = await call(client, "increment", { key: "word" });
    expect(notNumber.isError).toBe(true);
    expect(notNumber.text).toMatch(/not a number/);
    expect((await call(client, "get", {})).isError).toBe(true);
    expect((await call(client, "list", { limit: 0 })).isError).toBe(true);
    expect((await call(client, "nope")).isError).toBe(true);
  });

  it("answers an unknown server name with a JSON 404", async () => {
    const res = await env.TOOLS.fetch("https://tools/mcp/ghost", { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
    expect(await (await env.TOOLS.fetch("https://tools/mcp")).json()).toEqual({ servers: ["kv", "envelope"] });
  });

  it("refuses a foreign Host or Origin with a 403 before any MCP server reads the request (DNS rebinding)", async () => {
    const initialize = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    });
    const post = (url: string, headers: Record<string, string> = {}) =>
      env.TOOLS.fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body: initialize,
      });
    const foreignHost = await post("https://evil.example.com/mcp/kv");
    expect(foreignHost.status).toBe(403);
    expect(await foreignHost.json()).toMatchObject({ error: "invalid_host" });
    expect((await post("https://tools/mcp/kv", { origin: "http://evil.example.com" })).status).toBe(403);
    expect((await post("https://tools/mcp/kv", { origin: "not a url" })).status).toBe(403);
    expect((await post("https://tools/mcp/envelope", { host: "evil.example.com:8787" })).status).toBe(403);
    // The binding's own name and the loopback names (the Worker served alone on a port) are answered.
    expect((await post("https://tools/mcp/kv")).status).toBe(200);
    expect((await post("http://localhost:8787/mcp/kv", { origin: "http://localhost:8787" })).status).toBe(200);
    expect((await post("http://127.0.0.1:8787/mcp/envelope")).status).toBe(200);
  });
});

describe("envelope server", () => {
  // The orchestrator's answer as the contract has it (the server checks it before reading).
  const zero = { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 };
  const envelope = (runId: string) => ({
    run_id: runId,
    workflow: "wf",
    status: "running",
    payload: { topic: "cats" },
    steps: [{ id: "research", output: { facts: ["purr"] }, metrics: zero, timestamp: "2026-01-01T00:00:00Z", status: "complete" }],
    totals: zero,
  });

  it("reads the calling run's params and step outputs through the orchestrator binding", async () => {
    const runId = newRunId("env");
    await setEnvelope(runId, envelope(runId));
    const client = await connect("/mcp/envelope", { "x-ktsu-run-id": runId });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["get_envelope", "get_params", "get_step_output", "list_steps"]);
    expect((await call(client, "get_params")).text).toBe('{"topic":"cats"}');
    expect(JSON.parse((await call(client, "list_steps")).text)).toEqual({ run_id: runId, workflow: "wf", steps: [{ id: "research", status: "complete" }] });
    expect((await call(client, "get_step_output", { step_id: "research" })).text).toBe('{"facts":["purr"]}');
    expect(await call(client, "get_step_output", { step_id: "later" })).toEqual({ text: 'step "later" has no output yet', isError: true });
  });

  it("prefers a run_id server param, and refuses without any run", async () => {
    const runId = newRunId("env-param");
    await setEnvelope(runId, envelope(runId));
    const params = encodeURIComponent(JSON.stringify({ run_id: runId }));
    const byParam = await connect("/mcp/envelope", { "x-ktsu-run-id": "run_other", "x-ktsu-server-params": params });
    expect((await call(byParam, "get_params")).text).toBe('{"topic":"cats"}');
    const none = await connect("/mcp/envelope");
    expect(await call(none, "get_params")).toMatchObject({ isError: true, text: expect.stringMatching(/^no run/) });
    const unknown = await connect("/mcp/envelope", { "x-ktsu-run-id": "run_missing" });
    expect(await call(unknown, "get_params")).toEqual({ text: 'run "run_missing" not found', isError: true });
  });

  it("serves an agent its own run's params (the runtime sends the run id)", async () => {
    const runId = newRunId("env-agent");
    await setEnvelope(runId, envelope(runId));
    await scriptProvider({ tool_calls: [{ id: "c1", name: "get_params", arguments: {} }] }, { text: '{"answer": "cats"}' });
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [{ name: "envelope", url: "ktsu://tools/envelope", allowlist: ["get_*"] }] }));
    expect(callback).toMatchObject({ status: "ok", metrics: { tool_calls: 1 } });
    expect(callback.messages![3]).toEqual({ role: "tool", tool_call_id: "c1", content: '{"topic":"cats"}' });
  });
});

describe("the runtime's MCP client", () => {
  /** A stateless MCP server that lists three tools over three pages, as a binding would serve it. */
  function pagingServer(seen: Request[]): Fetcher {
    const pages: Record<string, { names: string[]; next?: string }> = {
      "": { names: ["alpha_one"], next: "p2" },
      p2: { names: ["alpha_two", "beta"], next: "p3" },
      p3: { names: ["alpha_three"] },
    };
    const handle = async (request: Request) => {
      seen.push(request.clone());
      const server = new Server({ name: "paging", version: "1" }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, (req) => {
        const page = pages[req.params?.cursor ?? ""]!;
        return {
          tools: page.names.map((name) => ({ name, description: name, inputSchema: { type: "object" as const } })),
          ...(page.next ? { nextCursor: page.next } : {}),
        };
      });
      server.setRequestHandler(CallToolRequestSchema, (req) => ({
        content: [
          { type: "text", text: `ran ${req.params.name}` },
          { type: "text", text: "ignored" },
        ],
      }));
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      return transport.handleRequest(request);
    };
    return {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => handle(new Request(input, init)),
      connect: () => {
        throw new Error("unused");
      },
    } as unknown as Fetcher;
  }

  it("follows nextCursor, filters by the allowlist, and returns the first text block of a call", async () => {
    const seen: Request[] = [];
    const discovery = await discoverTools(
      [{ name: "paging", url: "ktsu://tools/paging", allowlist: ["alpha_*"], auth_header: "X-Key", auth_value: "k1", params: { mode: "fast" } }],
      { tools: pagingServer(seen), gateway: pagingServer([]), run_id: "run_p", step_id: "s" },
    );
    if (!discovery.ok) throw new Error(discovery.error);
    expect(discovery.toolbox.definitions.map((t) => t.name)).toEqual(["alpha_one", "alpha_two", "alpha_three"]);
    expect(discovery.toolbox.has("beta")).toBe(false);
    expect(await discovery.toolbox.call("alpha_two", {})).toBe("ran alpha_two");
    await discovery.toolbox.close();

    // Auth and the first-party context ride on every request; params also go in initialize.
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (const request of seen) {
      expect(request.method).toBe("POST");
      expect(request.headers.get("x-key")).toBe("k1");
      expect(request.headers.get("x-ktsu-run-id")).toBe("run_p");
      expect(JSON.parse(decodeURIComponent(request.headers.get("x-ktsu-server-params")!))).toEqual({ mode: "fast" });
    }
    expect(await seen[0]!.json()).toMatchObject({ method: "initialize", params: { config: { mode: "fast" } } });
  });
});
