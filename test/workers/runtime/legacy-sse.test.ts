// An external MCP server that speaks only the legacy HTTP+SSE transport (protocol 2024-11-05,
// test/support/legacy-sse-mcp.ts): the runtime tries streamable HTTP, is refused, and falls
// back to the SDK's SSE client transport, all through the real gateway's egress.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { ToolServerSpec } from "../../../shared/contracts/runtime.ts";
import { invokeRequest, newRunId, resetProvider, runAgent, scriptProvider } from "./helpers.ts";

/** What the server's control endpoints answer (test/support/legacy-sse-mcp.ts). */
interface LegacyRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}
interface LegacySession {
  id: string;
  closed: boolean;
}

const SECRET = "Bearer legacy-s3cret-41";

function legacyServer(persistentId: string): ToolServerSpec {
  return {
    name: "legacy",
    url: `${env.LEGACY_MCP_URL}/sse`,
    allowlist: ["legacy_*"],
    auth_header: "Authorization",
    auth_value: SECRET,
    persistent_id: persistentId,
  };
}

async function sessions(): Promise<LegacySession[]> {
  return ((await (await fetch(`${env.LEGACY_MCP_URL}/__sessions`)).json()) as { sessions: LegacySession[] }).sessions;
}

/** Polls until `check` holds (the test's own timeout bounds a condition that never comes). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 25));
}

beforeEach(resetProvider);

describe("a server that speaks only the legacy HTTP+SSE transport", () => {
  it("is reached after its refusal of streamable HTTP, and an agent's tool call succeeds", async () => {
    const runId = newRunId("legacy");
    const before = new Set((await sessions()).map((s) => s.id));
    await scriptProvider({ tool_calls: [{ id: "c1", name: "legacy_echo", arguments: { text: "hello" } }] }, { text: '{"answer": "done"}' });
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [legacyServer(runId)] }));

    expect(callback).toMatchObject({ status: "ok", metrics: { tool_calls: 1 } });
    expect(callback.messages![3]).toEqual({ role: "tool", tool_call_id: "c1", content: "echo: hello" });

    const { requests } = (await (await fetch(`${env.LEGACY_MCP_URL}/__requests`)).json()) as { requests: LegacyRequest[] };
    const mine = requests.filter((r) => r.path === `/sse?persistentId=${runId}`);
    // Streamable HTTP first (refused with 405), then the legacy event stream.
    expect(mine.map((r) => r.method)).toEqual(["POST", "GET"]);
    expect(mine[1]!.headers.accept).toBe("text/event-stream");
    const session = (await sessions()).find((s) => !before.has(s.id));
    expect(session).toBeDefined();
    const posts = requests.filter((r) => r.path === `/messages?sessionId=${session!.id}`);
    // initialize, notifications/initialized, tools/list, tools/call
    expect(posts.length).toBeGreaterThanOrEqual(4);
    for (const request of [...mine, ...posts]) {
      expect(request.headers.authorization).toBe(SECRET);
      expect(Object.keys(request.headers).filter((h) => h.startsWith("x-ktsu-"))).toEqual([]);
    }
    // The runtime closed its session when the step ended, and the gateway released the stream.
    await until(async () => (await sessions()).find((s) => s.id === session!.id)!.closed);
    expect(JSON.stringify(callback)).not.toContain("legacy-s3cret");
  });

  it("fails a call at once when the session's event stream is lost, rather than waiting out the timeout", async () => {
    const runId = newRunId("legacy-drop");
    await scriptProvider({ tool_calls: [{ id: "c1", name: "legacy_drop", arguments: {} }] }, { text: '{"answer": "never"}' });
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [legacyServer(runId)] }));
    expect(callback.status).toBe("failed");
    expect(callback.error).toMatch(/^tool call legacy_drop: .*Connection closed/);
    expect(callback.error).not.toContain("legacy-s3cret");
  });
});

describe("when the fallback applies", () => {
  it("a server that refuses both transports gets a report of both", async () => {
    const runId = newRunId("legacy-none");
    const path = `/gone-${runId}`;
    await fetch(`${env.SINK_URL}/__status?path=${path}&status=404`, { method: "POST" });
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [{ name: "gone", url: `${env.SINK_URL}${path}`, allowlist: ["*"] }] }));
    expect(callback.status).toBe("failed");
    expect(callback.error).toMatch(
      /^discover tools from gone: initialize server gone: streamable HTTP refused \(HTTP 404\); legacy HTTP\+SSE: SSE error: .*404/,
    );
    const { calls } = (await (await fetch(`${env.SINK_URL}/__calls`)).json()) as { calls: Array<{ method: string; path: string }> };
    expect(calls.filter((c) => c.path === path).map((c) => c.method)).toEqual(["POST", "GET"]);
  });

  it("a refusal by the gateway itself (a host outside the egress allowlist) is reported, not retried as legacy", async () => {
    const runId = newRunId("legacy-denied");
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [{ name: "far", url: "http://127.0.0.1:9/sse", allowlist: ["*"] }] }));
    expect(callback.status).toBe("failed");
    expect(callback.error).toMatch(/^discover tools from far: initialize server far: .*not in the egress allowlist/);
    expect(callback.error).not.toContain("legacy HTTP+SSE");
  });
});
