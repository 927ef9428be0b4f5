import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult, CallToolResultSchema, type Progress, type Task } from "@modelcontextprotocol/sdk/types.js";

const ADMIN = "admin-token-for-tests-31c9";
let started: StartedProject;
let fake: FakeProvider;
let stateDir: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-access-"));
  started = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "examples", "hello"),
    stateDir,
    port: 0,
    environment: { ...process.env, KTSU_ADMIN_TOKEN: ADMIN, KTSU_FAKE_PROVIDER_URL: fake.url },
  });
});

afterAll(async () => {
  await started?.stack.dispose();
  await fake?.close();
  await rm(stateDir, { recursive: true, force: true });
});

const url = (p: string) => new URL(p, started.stack.url);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("the admin token (KTSU_ADMIN_TOKEN)", () => {
  it("is required for /runs, a run, its envelope, events and approvals", async () => {
    const res = await fetch(url("/invoke/hello"), { method: "POST", body: JSON.stringify({ name: "Ada" }) });
    expect(res.status).toBe(202); // invokes are governed by each workflow's invoke.auth, not the admin token
    const { run_id } = (await res.json()) as { run_id: string };
    for (const p of ["/runs", `/runs/${run_id}`, `/runs/${run_id}/envelope`, `/runs/${run_id}/events`, "/approvals", `/runs/${run_id}/steps/greet/approval`]) {
      const missing = await fetch(url(p));
      expect(missing.status, p).toBe(401);
      expect(((await missing.json()) as { error: string }).error).toBe("unauthorized");
      expect((await fetch(url(p), { headers: bearer("wrong") })).status, p).toBe(401);
    }
    const decide = await fetch(url(`/runs/${run_id}/steps/greet/approval/decide`), { method: "POST", body: '{"decision":"approved"}' });
    expect(decide.status).toBe(401);
    const ok = await fetch(url(`/runs/${run_id}`), { headers: bearer(ADMIN) });
    expect(ok.status).toBe(200);
  });

  it("leaves /health open", async () => {
    expect((await fetch(url("/health"))).status).toBe(200);
  });
});

describe("service-to-service routes have no public face", () => {
  it("the public orchestrator does not accept step results, heartbeats or checkpoints", async () => {
    const attempts = [
      ["/heartbeat", { runtime_id: "x", active: [] }],
      ["/runs/run_0123456789abcdef/steps/greet/complete", { status: "ok", output: {} }],
      ["/runs/run_0123456789abcdef/steps/greet/checkpoint", { attempt: 1, turn: 1, messages: [] }],
    ] as const;
    for (const [p, body] of attempts) {
      const res = await fetch(url(p), { method: "POST", headers: bearer(ADMIN), body: JSON.stringify(body) });
      expect(res.status, p).toBe(404);
    }
  });

  it("only the orchestrator listens: runtime, gateway and tools are reachable through bindings alone", async () => {
    // The stack binds one port; every other Worker is only a service name inside workerd.
    const direct = await (await started.stack.worker("gateway")).fetch("http://internal/health");
    expect(direct.status).toBe(200);
    expect(started.stack.url.port).not.toBe("");
  });
});

describe("the hello example end to end on the local stack", () => {
  it("runs the agent through runtime and gateway to the fake provider and completes", async () => {
    const res = await fetch(url("/invoke/hello"), { method: "POST", body: JSON.stringify({ name: "Kyle" }) });
    const { run_id } = (await res.json()) as { run_id: string };
    let envelope: { status: string; steps: Array<{ output: unknown }>; totals: { llm_calls: number } } | undefined;
    // Until the run ends; the bound (2 min) is for a run that never does, generous for a busy machine.
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      envelope = (await (await fetch(url(`/runs/${run_id}/envelope`), { headers: bearer(ADMIN) })).json()) as typeof envelope;
      if (envelope!.status !== "running") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(envelope!.status).toBe("complete");
    expect(envelope!.steps[0]!.output).toEqual({ greeting: "Hello, Kyle!" });
    expect(envelope!.totals.llm_calls).toBe(1);
    const call = fake.calls.find((c) => JSON.stringify(c.body).includes("Say hello to Kyle"));
    expect(call?.api).toBe("openai");
  });
});

describe("/mcp on the local stack with an admin token", () => {
  it("lists hello as a tool and runs it for the MCP SDK's client with the token; 401 without it", async () => {
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    };
    const refused = await fetch(url("/mcp"), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(initialize),
    });
    expect(refused.status).toBe(401);

    const client = new Client({ name: "stack-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url("/mcp"), { requestInit: { headers: bearer(ADMIN) } }));
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === "hello")).toMatchObject({
      description: expect.stringContaining("Greets someone by name."),
      inputSchema: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    });
    const progress: Progress[] = [];
    // The SDK's 60 s default is for a quick answer; a busy machine may take longer to run the agent.
    const result = (await client.callTool({ name: "hello", arguments: { name: "Mcp" } }, undefined, {
      onprogress: (p) => progress.push(p),
      timeout: 120_000,
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ status: "complete", output: { greeting: "Hello, Mcp!" } });
    expect(progress).toEqual([{ progress: 1, total: 1, message: "step greet completed" }]);
    await client.close();
  });

  it("runs hello as a task: created working, polled to completed, its result the output; the task is the run", async () => {
    const client = new Client({ name: "stack-task-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url("/mcp"), { requestInit: { headers: bearer(ADMIN) } }));
    const stream = client.experimental.tasks.callToolStream({ name: "hello", arguments: { name: "Task" } }, CallToolResultSchema, {
      task: {},
      timeout: 120_000,
    });
    const seen: Task["status"][] = [];
    let taskId = "";
    let result: CallToolResult | undefined;
    for await (const message of stream) {
      if (message.type === "taskCreated") taskId = message.task.taskId;
      if (message.type === "taskCreated" || message.type === "taskStatus") seen.push(message.task.status);
      if (message.type === "result") result = message.result as CallToolResult;
      if (message.type === "error") throw message.error;
    }
    expect(seen[0]).toBe("working");
    expect(seen.at(-1)).toBe("completed");
    expect(result?.structuredContent).toMatchObject({ run_id: taskId, status: "complete", output: { greeting: "Hello, Task!" } });
    const run = await fetch(url(`/runs/${taskId}`), { headers: bearer(ADMIN) });
    expect(((await run.json()) as { run: { status: string } }).run.status).toBe("complete");
    await client.close();
  });
});
