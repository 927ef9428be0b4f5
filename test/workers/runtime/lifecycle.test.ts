// Suspend and resume (approvals, re-dispatch after an eviction), liveness, and servers
// reached through the gateway's egress.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { CallbackPayload } from "../../../shared/contracts/runtime.ts";
import { heartbeats, invokeRequest, kvServer, newRunId, providerCalls, records, resetProvider, runAgent, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

interface SinkCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

async function sinkCalls(pathPrefix: string): Promise<SinkCall[]> {
  const res = await fetch(`${env.SINK_URL}/__calls`);
  return ((await res.json()) as { calls: SinkCall[] }).calls.filter((c) => c.path.startsWith(pathPrefix));
}

describe("approvals", () => {
  const approvalKv = (ns: string) =>
    kvServer({
      persistent_id: ns,
      auth_header: "X-Api-Key",
      auth_value: "Bearer sekret-abc123",
      params: { region: "eu", token: "param-secret-77" },
      secret_keys: ["token"],
      approval_rules: [{ pattern: "del*", on_reject: "recover", timeout_ms: 60_000, timeout_behavior: "fail" }],
    });

  async function suspend(runId: string, ns: string): Promise<CallbackPayload> {
    await scriptProvider(
      { tool_calls: [{ id: "call_set", name: "set", arguments: { key: "k", value: 1 } }] },
      {
        text: "Cleaning up.",
        tool_calls: [
          { id: "call_inc", name: "increment", arguments: { key: "k" } },
          { id: "call_del", name: "delete", arguments: { key: "k" } },
          { id: "call_get", name: "get", arguments: { key: "k" } },
        ],
      },
    );
    return runAgent(invokeRequest(runId, { tool_servers: [approvalKv(ns)] }));
  }

  it("suspends on a gated call: calls before it ran, it ends the messages, later ones are dropped, credentials redacted", async () => {
    const runId = newRunId("approval");
    const callback = await suspend(runId, `ns-${runId}`);
    expect(callback).toMatchObject({
      status: "pending_approval",
      output: null,
      error: "",
      pending_approval: {
        tool_name: "delete",
        tool_use_id: "call_del",
        arguments: { key: "k" },
        on_reject: "recover",
        timeout_ms: 60_000,
        timeout_behavior: "fail",
      },
      metrics: { llm_calls: 2, tool_calls: 2 },
    });
    expect(callback.messages!.slice(4)).toEqual([
      { role: "assistant", content: "Cleaning up.", tool_calls: [{ id: "call_inc", name: "increment", arguments: { key: "k" } }] },
      { role: "tool", tool_call_id: "call_inc", content: '{"value":2}' },
      { role: "assistant", content: "", tool_calls: [{ id: "call_del", name: "delete", arguments: { key: "k" } }] },
    ]);
    // The stored request never carries the resolved credentials: auth values and secret server params are redacted.
    const server = callback.original_request!.tool_servers[0]!;
    expect(server.auth_value).toBe("[REDACTED]");
    expect(server.params).toEqual({ region: "eu", token: "[REDACTED]" });
    expect(callback.original_request).toMatchObject({ run_id: runId, step_id: "agent", attempt: 1 });
    expect(JSON.stringify(await records(runId))).not.toMatch(/sekret-abc123|param-secret-77/);
  });

  it("resumes with approved_tool_calls: runs the approved call, then loops with a fresh turn budget", async () => {
    const runId = newRunId("resume");
    const ns = `ns-${runId}`;
    const suspended = await suspend(runId, ns);
    await resetProvider();
    await scriptProvider({ text: '{"answer": "deleted"}' });

    const resumedRun = newRunId("resumed");
    const callback = await runAgent(
      invokeRequest(resumedRun, {
        tool_servers: [approvalKv(ns)],
        messages: suspended.messages!,
        is_resume: true,
        approved_tool_calls: ["call_del"],
        max_turns: 2,
        attempt: 2,
      }),
    );
    expect(callback).toMatchObject({ status: "ok", output: { answer: "deleted" }, is_resume: true, attempt: 2, metrics: { llm_calls: 1, tool_calls: 1 } });
    expect(callback.messages!.at(-2)).toEqual({ role: "tool", tool_call_id: "call_del", content: '{"deleted":true}' });
    // The resumed conversation is sent verbatim; the system prompt is not rebuilt.
    const [call] = await providerCalls();
    expect(call!.body.messages[0]).toEqual(expect.objectContaining({ role: "system" }));
    expect(call!.body.messages.filter((m) => m.role === "system")).toHaveLength(1);
    expect(call!.body.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_del", content: '{"deleted":true}' });
    // Turn 1 of a fresh budget of 2: tools are still offered.
    expect(call!.body.tools?.length).toBeGreaterThan(0);
  });

  it("continues a rejection-recover resume whose messages already hold the rejection", async () => {
    const runId = newRunId("reject");
    const suspended = await suspend(runId, `ns-${runId}`);
    await resetProvider();
    await scriptProvider({ text: '{"answer": "kept"}' });
    const rejection = {
      role: "tool" as const,
      tool_call_id: "call_del",
      content: "Tool call rejected by human reviewer. Please find an alternative approach.",
    };
    const callback = await runAgent(
      invokeRequest(newRunId("rejected"), { tool_servers: [approvalKv(`ns-${runId}`)], messages: [...suspended.messages!, rejection], is_resume: true }),
    );
    expect(callback).toMatchObject({ status: "ok", output: { answer: "kept" }, metrics: { tool_calls: 0 } });
    const [call] = await providerCalls();
    expect(call!.body.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_del" });
  });
});

describe("re-dispatch after an eviction", () => {
  it("never repeats a call whose result was not recorded and continues at the checkpoint's turn", async () => {
    const runId = newRunId("evicted");
    const ns = `ns-${runId}`;
    await scriptProvider({ text: '{"answer": "recovered"}' });
    const callback = await runAgent(
      invokeRequest(runId, {
        tool_servers: [kvServer({ persistent_id: ns })],
        messages: [
          { role: "system", content: "sys" },
          { role: "user", content: "go" },
          { role: "assistant", content: "", tool_calls: [{ id: "call_lost", name: "set", arguments: { key: "once", value: 1 } }] },
        ],
        is_resume: true,
        resume_turn: 2,
        max_turns: 3,
      }),
    );
    expect(callback).toMatchObject({ status: "ok", metrics: { tool_calls: 0, llm_calls: 1 } });
    const interrupted = callback.messages!.find((m) => m.tool_call_id === "call_lost");
    expect(interrupted?.content).toMatch(/^tool call interrupted/);
    // Turn 3 is the final one: no tools, final instruction.
    const [call] = await providerCalls();
    expect(call!.body.tools).toBeUndefined();
    expect(call!.body.messages.at(-1)).toMatchObject({ role: "user", content: expect.stringMatching(/^You have reached the maximum number of tool calls/) });
  });
});

describe("heartbeats", () => {
  it("beats while a slow LLM reply is pending and stops before the callback", async () => {
    const runId = newRunId("beat");
    // Heartbeats every 200 ms (the project's KTSU_HEARTBEAT_INTERVAL_MS): a 2 s reply sees several.
    await scriptProvider({ text: '{"answer": "slow"}', delay_ms: 2000 });
    const callback = await runAgent(invokeRequest(runId, { step_id: "slow.0" }));
    const beats = await heartbeats(runId);
    expect(beats.length).toBeGreaterThanOrEqual(4);
    for (const beat of beats) {
      expect(beat).toMatchObject({ runtime_id: "rt-test", active: [{ run_id: runId, step_id: "slow.0" }] });
      expect(beat.at).toBeLessThanOrEqual(callback.at);
    }
    // Another slow step afterwards: while its own heartbeats are seen, none names the first step,
    // so the first step's heartbeats stopped (rather than merely not having come yet).
    const later = newRunId("beat-later");
    await scriptProvider({ text: '{"answer": "slow"}', delay_ms: 2000 });
    await runAgent(invokeRequest(later, { step_id: "slow.0" }));
    expect((await heartbeats(later)).length).toBeGreaterThanOrEqual(4);
    expect(await heartbeats(runId)).toHaveLength(beats.length);
  });
});

describe("servers behind the egress", () => {
  it("sends the auth header on every request and the server params in initialize, and reports the failure", async () => {
    const runId = newRunId("egress");
    const path = `/mcp-${runId}`;
    const callback = await runAgent(
      invokeRequest(runId, {
        tool_servers: [
          {
            name: "ext",
            url: `${env.SINK_URL}${path}`,
            allowlist: ["*"],
            auth_header: "X-Api-Key",
            auth_value: "ext-key-9",
            params: { region: "eu" },
            persistent_id: "p1",
          },
        ],
      }),
    );
    expect(callback.status).toBe("failed");
    expect(callback.error).toMatch(/^discover tools from ext: initialize server ext: /);
    const [initialize] = await sinkCalls(path);
    expect(initialize).toMatchObject({ method: "POST", path: `${path}?persistentId=p1` });
    expect(initialize!.headers["x-api-key"]).toBe("ext-key-9");
    expect(Object.keys(initialize!.headers).filter((h) => h.startsWith("x-ktsu-"))).toEqual([]);
    expect(JSON.parse(initialize!.body)).toMatchObject({ method: "initialize", params: { config: { region: "eu" }, clientInfo: { name: "ktsu" } } });
  });

  it("sends nothing at all to a server with an empty allowlist", async () => {
    const runId = newRunId("empty");
    const path = `/mcp-${runId}`;
    await scriptProvider({ text: '{"answer": "no tools"}' });
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [{ name: "ext", url: `${env.SINK_URL}${path}`, allowlist: [] }] }));
    expect(callback.status).toBe("ok");
    expect(await sinkCalls(path)).toEqual([]);
    const [call] = await providerCalls();
    expect(call!.body.tools).toBeUndefined();
  });
});
