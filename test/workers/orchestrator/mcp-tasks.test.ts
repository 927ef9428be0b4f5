// `/mcp` sessions, the MCP Tasks utility (a task is a run) and approvals answered through
// elicitation, driven by the MCP SDK's client over its streamable HTTP transport (through the
// Worker's fetch handler, so every session is its Durable Object).
import { SELF } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  CallToolResultSchema,
  CreateTaskResultSchema,
  ElicitRequestSchema,
  type ElicitResult,
  type Task,
} from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { describe, expect, it } from "vitest";
import { eventually, gatedDeleteScript, get, type RunView, script, settled, step } from "./helpers.ts";

const URL_MCP = new URL("https://ktsu.test/mcp");

interface Asked {
  message: string;
}

/** A client; with `answer`, it declares elicitation and answers every request with it. */
async function connect(answer?: (asked: Asked) => ElicitResult): Promise<{ client: Client; asked: Asked[] }> {
  const asked: Asked[] = [];
  const client = new Client(
    { name: "mcp-tasks-test", version: "1.0.0" },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator(), ...(answer ? { capabilities: { elicitation: { form: {} } } } : {}) },
  );
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      const params = request.params as Asked;
      asked.push(params);
      return answer(params);
    });
  }
  await client.connect(new StreamableHTTPClientTransport(URL_MCP, { fetch: (url, init) => SELF.fetch(String(url), init) }));
  return { client, asked };
}

/** Runs a tool as a task through the SDK's task stream: the statuses it saw and how it ended. */
async function runAsTask(
  client: Client,
  args: Record<string, unknown>,
): Promise<{ taskId: string; statuses: Task["status"][]; result?: CallToolResult; error?: Error }> {
  const stream = client.experimental.tasks.callToolStream({ name: "agent-free", arguments: args }, CallToolResultSchema, { task: {} });
  let taskId = "";
  const statuses: Task["status"][] = [];
  for await (const message of stream) {
    if (message.type === "taskCreated") taskId = message.task.taskId;
    if (message.type === "taskStatus") statuses.push(message.task.status);
    if (message.type === "result") return { taskId, statuses, result: message.result as CallToolResult };
    if (message.type === "error") return { taskId, statuses, error: message.error };
  }
  throw new Error("the task stream ended without a result");
}

/** Polls tasks/get until the task's status is `status`. */
function taskReaches(client: Client, taskId: string, status: Task["status"]): Promise<Task> {
  return eventually(async () => {
    const task = await client.experimental.tasks.getTask(taskId);
    return task.status === status ? task : undefined;
  });
}

describe("/mcp tasks", () => {
  it("runs a workflow as a task: the task is the run, tasks/get shows it working then completed, tasks/result returns the output", async () => {
    const { client } = await connect();
    // A step that takes a while, so the first tasks/get (the next request after the task is created)
    // sees it working: ten seconds leave a busy machine room between those two requests.
    const { taskId, statuses, result } = await runAsTask(client, { script: script({ delay_ms: 10_000, output: { answer: 42 } }) });
    expect(taskId).toMatch(/^run_[0-9a-f]{16}$/);
    expect(statuses[0]).toBe("working");
    expect(statuses.at(-1)).toBe("completed");
    const view = await settled(taskId);
    expect(view.run.status).toBe("complete");
    expect(result?.structuredContent).toEqual({ run_id: taskId, status: "complete", output: step(view, "after").output });
    // The task outlives the call: another session reads it and its result.
    const { client: other } = await connect();
    expect(await other.experimental.tasks.getTask(taskId)).toMatchObject({ taskId, status: "completed", ttl: null });
    const again = (await other.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    expect(again.structuredContent).toEqual(result?.structuredContent);
    await client.close();
    await other.close();
  });

  it("tasks/cancel cancels the run", async () => {
    const { client } = await connect();
    const created = await client.request(
      { method: "tools/call", params: { name: "agent-free", arguments: { script: script({ hang: true }) }, task: {} } },
      CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    await taskReaches(client, taskId, "working");
    const cancelled = await client.experimental.tasks.cancelTask(taskId);
    expect(cancelled.status).toBe("cancelled");
    const view = await settled(taskId);
    expect(view.run.status).toBe("cancelled");
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe("cancelled");
    const result = (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ run_id: taskId, status: "cancelled" });
    await expect(client.experimental.tasks.cancelTask(taskId)).rejects.toThrow(/ended already/);
    await client.close();
  });

  it("shows a task waiting for approval as input_required, saying what waits and how to decide it", async () => {
    const { client } = await connect();
    const created = await client.request(
      { method: "tools/call", params: { name: "agent-free", arguments: { script: gatedDeleteScript() }, task: {} } },
      CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    const waiting = await taskReaches(client, taskId, "input_required");
    expect(waiting.statusMessage).toContain("delete_user");
    expect(waiting.statusMessage).toContain(`ktsu approve ${taskId} a`);
    // Decided elsewhere (the API), the task goes on to complete.
    const decided = await SELF.fetch(`https://ktsu.test/runs/${taskId}/steps/a/approval/decide`, {
      method: "POST",
      body: JSON.stringify({ decision: "approved" }),
    });
    expect(decided.status).toBe(200);
    const result = (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ run_id: taskId, status: "complete" });
    await client.close();
  });
});

describe("/mcp approvals through elicitation", () => {
  it("asks a waiting approval of a called workflow; approving lets the run go on and the call returns its output", async () => {
    const { client, asked } = await connect(() => ({ action: "accept", content: { decision: "approved" } }));
    const result = (await client.callTool({ name: "agent-free", arguments: { script: gatedDeleteScript() } })) as CallToolResult;
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toContain('step "a" wants to call delete_user with {"user":"u42"}');
    const structured = result.structuredContent as { run_id: string; status: string };
    expect(structured.status).toBe("complete");
    const view = await settled(structured.run_id);
    expect(view.run.status).toBe("complete");
    expect(step(view, "a").status).toBe("complete");
    await client.close();
  });

  it("declining rejects the approval: the step's on_reject (fail) ends the run", async () => {
    const { client, asked } = await connect(() => ({ action: "decline" }));
    const result = (await client.callTool({ name: "agent-free", arguments: { script: gatedDeleteScript() } })) as CallToolResult;
    expect(asked).toHaveLength(1);
    expect(result.isError).toBe(true);
    const structured = result.structuredContent as { run_id: string; status: string };
    expect(structured.status).toBe("failed");
    expect((await get<RunView>(`/runs/${structured.run_id}`)).body.run.status).toBe("failed");
    await client.close();
  });

  it("cancelling the elicitation decides nothing: the call returns how to decide the approval, which stays pending", async () => {
    const { client } = await connect(() => ({ action: "cancel" }));
    const result = (await client.callTool({ name: "agent-free", arguments: { script: gatedDeleteScript() } })) as CallToolResult;
    const structured = result.structuredContent as { run_id: string; status: string };
    expect(structured.status).toBe("waiting_for_approval");
    const approval = await get<{ status: string }>(`/runs/${structured.run_id}/steps/a/approval`);
    expect(approval.body.status).toBe("pending");
    await client.close();
  });

  it("asks a ktsu_needs_human step, and approving completes the held step", async () => {
    const { client, asked } = await connect(() => ({ action: "accept", content: { decision: "approved" } }));
    const result = (await client.callTool({
      name: "agent-free",
      arguments: { script: script({ output: { ktsu_needs_human: true, draft: "d" } }) },
    })) as CallToolResult;
    expect(asked[0]!.message).toContain('step "a" asked for a human');
    const structured = result.structuredContent as { run_id: string; status: string; output: unknown };
    expect(structured.status).toBe("complete");
    expect(structured.output).toEqual({ result: { draft: "d" } });
    await client.close();
  });

  it("asks an approval waiting in a sub-workflow and decides it on the sub-run", async () => {
    const { client, asked } = await connect(() => ({ action: "accept", content: { decision: "approved" } }));
    const result = (await client.callTool({ name: "parent-agent", arguments: { script: gatedDeleteScript() } })) as CallToolResult;
    expect(asked).toHaveLength(1);
    const structured = result.structuredContent as { run_id: string; status: string };
    expect(asked[0]!.message).toContain(`Run ${structured.run_id} is waiting for approval: step "inner" wants to call delete_user`);
    expect(structured.status).toBe("complete");
    expect(step(await settled(`${structured.run_id}/call`), "inner").status).toBe("complete");
    await client.close();
  });

  it("in a task: the SDK's client sees input_required, tasks/result asks the approval, and the approved run completes", async () => {
    const { client, asked } = await connect(() => ({ action: "accept", content: { decision: "approved" } }));
    const { taskId, statuses, result } = await runAsTask(client, { script: gatedDeleteScript() });
    expect(statuses).toContain("input_required");
    expect(asked).toHaveLength(1);
    expect(result?.structuredContent).toMatchObject({ run_id: taskId, status: "complete" });
    expect((await settled(taskId)).run.status).toBe("complete");
    await client.close();
  });
});
