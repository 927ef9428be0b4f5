// `/mcp`: the workflows as MCP tools, driven by the MCP SDK's client over its streamable HTTP
// transport (requests go through the Worker's fetch handler), and the route's guards on the real
// app with the deployed configuration or the local stack's.
import { SELF, env } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { describe, expect, it } from "vitest";
import { app } from "../../../workers/orchestrator/src/api/app.ts";
import { gatedDeleteScript, script, settled, step } from "./helpers.ts";

const URL_MCP = new URL("https://ktsu.test/mcp");
const DEPLOYED = { ...env, KTSU_ADMIN_OPEN: undefined };

type Fetcher = (url: string | URL, init?: RequestInit) => Promise<Response>;
const viaSelf: Fetcher = (url, init) => SELF.fetch(String(url), init);
const viaApp =
  (bindings: Record<string, unknown>): Fetcher =>
  async (url, init) =>
    app.request(String(url), init, bindings);

async function connect(fetch: Fetcher = viaSelf, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "mcp-test", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  await client.connect(new StreamableHTTPClientTransport(URL_MCP, { fetch, requestInit: { headers } }));
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>, progress: Progress[] = []): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { onprogress: (p) => progress.push(p) })) as CallToolResult;
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === "text" ? c.text : "")).join("");

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe("/mcp tools", () => {
  it("lists every invocable workflow as a tool, its inputSchema from params.schema, secret params write-only", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get("agent-free")?.inputSchema).toMatchObject({ type: "object", properties: { script: { type: "string" } } });
    expect(byName.get("secret-pass-parent")?.inputSchema).toMatchObject({
      required: ["password"],
      properties: { password: { type: "string", writeOnly: true }, note: { type: "string" } },
    });
    expect(byName.has("hidden")).toBe(false); // visibility: sub-workflow
    await client.close();
  });

  it("runs a workflow, sends a progress notification per settled step, and returns its output as structured content and text", async () => {
    const client = await connect();
    const progress: Progress[] = [];
    const result = await call(client, "agent-free", { script: script({ output: { answer: 42 } }) }, progress);
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { run_id: string; status: string; output: unknown };
    expect(structured.status).toBe("complete");
    // The last step is a transform of step a's output.
    const view = await settled(structured.run_id);
    expect(structured.output).toEqual(step(view, "after").output);
    expect(JSON.parse(text(result))).toEqual(structured.output);
    expect(progress.map((p) => [p.progress, p.total])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(progress[0]!.message).toBe("step a completed");
    await client.close();
  });

  it("refuses params that do not match params.schema as a tool error, starting nothing", async () => {
    const client = await connect();
    const result = await call(client, "secret-pass-parent", { note: "no password" });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('input missing required field "password"');
    await client.close();
  });

  it("answers a failed run with a tool error carrying the run's error", async () => {
    const client = await connect();
    const result = await call(client, "agent-free", { script: script({ status: "failed", error: "the scripted step broke" }) });
    expect(result.isError).toBe(true);
    const structured = result.structuredContent as { run_id: string; status: string; error: string };
    expect(structured.status).toBe("failed");
    expect(structured.error).toContain("the scripted step broke");
    expect((await settled(structured.run_id)).run.status).toBe("failed");
    await client.close();
  });

  it("returns what to approve and how when the run waits on a human", async () => {
    const client = await connect();
    const approval = gatedDeleteScript();
    const result = await call(client, "agent-free", { script: approval });
    const structured = result.structuredContent as { run_id: string; status: string; approval: Record<string, unknown> };
    expect(structured.status).toBe("waiting_for_approval");
    expect(structured.approval).toMatchObject({ run_id: structured.run_id, step_id: "a", tool_name: "delete_user", arguments: { user: "u42" } });
    expect(text(result)).toContain(`ktsu approve ${structured.run_id} a`);
    expect(text(result)).toContain(`POST /runs/${structured.run_id}/steps/a/approval/decide`);
    // The instructions work: deciding goes on with the run.
    const decided = await SELF.fetch(`https://ktsu.test/runs/${structured.run_id}/steps/a/approval/decide`, {
      method: "POST",
      body: JSON.stringify({ decision: "approved" }),
    });
    expect(decided.status).toBe(200);
    expect((await settled(structured.run_id)).run.status).toBe("complete");
    await client.close();
  });

  it("never echoes a secret param in the result", async () => {
    const client = await connect();
    const password = "pw-mcp-8d1f0c6a52";
    const result = await call(client, "secret-pass-parent", { password, note: "plain" });
    expect((result.structuredContent as { status: string }).status).toBe("complete");
    expect(JSON.stringify(result)).not.toContain(password);
    expect(JSON.stringify(result)).toContain("[REDACTED]");
    await client.close();
  });
});

describe("/mcp guards", () => {
  it("needs the admin token when one is set (401 without it), and works with it", async () => {
    const configured = { ...DEPLOYED, KTSU_ADMIN_TOKEN: "tok-mcp-5e2a" };
    const refused = await app.request(URL_MCP.href, { method: "POST", headers: MCP_HEADERS, body: initialize }, configured);
    expect(refused.status).toBe(401);
    const wrong = await app.request(URL_MCP.href, { method: "POST", headers: { ...MCP_HEADERS, authorization: "Bearer nope" }, body: initialize }, configured);
    expect(wrong.status).toBe(401);
    await expect(connect(viaApp(configured))).rejects.toThrow();
    const client = await connect(viaApp(configured), { authorization: "Bearer tok-mcp-5e2a" });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    // A session opened with the token does not stand in for it: every request of the session needs it.
    const opened = await app.request(
      URL_MCP.href,
      { method: "POST", headers: { ...MCP_HEADERS, authorization: "Bearer tok-mcp-5e2a" }, body: initialize },
      configured,
    );
    const sessionId = opened.headers.get("mcp-session-id");
    expect(sessionId).toBeTruthy();
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    const inSession = { ...MCP_HEADERS, "mcp-session-id": sessionId!, "mcp-protocol-version": "2025-06-18" };
    expect((await app.request(URL_MCP.href, { method: "POST", headers: inSession, body: list }, configured)).status).toBe(401);
    const allowed = await app.request(
      URL_MCP.href,
      { method: "POST", headers: { ...inSession, authorization: "Bearer tok-mcp-5e2a" }, body: list },
      configured,
    );
    expect(allowed.status).toBe(200);
  });

  it("is closed when deployed without a token, and open on the local stack without one", async () => {
    const closed = await app.request(URL_MCP.href, { method: "POST", headers: MCP_HEADERS, body: initialize }, DEPLOYED);
    expect(closed.status).toBe(401);
    const open = await SELF.fetch(URL_MCP.href, { method: "POST", headers: MCP_HEADERS, body: initialize });
    expect(open.status).toBe(200);
  });

  it("refuses a foreign Origin (403) and, on the local stack, a foreign Host (400, as every route: DNS rebinding)", async () => {
    const foreignOrigin = await SELF.fetch(URL_MCP.href, { method: "POST", headers: { ...MCP_HEADERS, origin: "https://evil.example" }, body: initialize });
    expect(foreignOrigin.status).toBe(403);
    const local = { ...env, KTSU_ALLOWED_HOSTS: "localhost,127.0.0.1" };
    const rebound = await app.request(
      "http://evil.example/mcp",
      { method: "POST", headers: { ...MCP_HEADERS, host: "evil.example", origin: "http://evil.example" }, body: initialize },
      local,
    );
    expect(rebound.status).toBe(400);
    expect(await rebound.text()).not.toContain("jsonrpc");
    const fine = await app.request(
      "http://localhost:5050/mcp",
      { method: "POST", headers: { ...MCP_HEADERS, host: "localhost:5050", origin: "http://localhost:5050" }, body: initialize },
      local,
    );
    expect(fine.status).toBe(200);
  });
});
