import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventually, get, script, settled, start, step, type RunView } from "./helpers.ts";

const pending = (extra: Record<string, unknown> = {}) => ({
  tool_name: "delete_user",
  tool_use_id: "call_1",
  arguments: { user: "u42" },
  on_reject: "fail",
  timeout_ms: 0,
  timeout_behavior: "fail",
  ...extra,
});
const conversation = [
  { role: "system", content: "s" },
  { role: "user", content: "u" },
  { role: "assistant", content: "", tool_calls: [{ id: "call_1", name: "delete_user", arguments: { user: "u42" } }] },
];

function approvalScript(approval: Record<string, unknown>, onResume: Record<string, unknown> = { echo: true }) {
  return script({
    status: "pending_approval",
    pending_approval: approval,
    messages: conversation,
    metrics: { tokens_in: 100, cost_usd: 0.01 },
    on_resume: onResume,
  });
}

async function waitForStatus(runId: string, stepId: string, status: string): Promise<RunView> {
  return eventually(async () => {
    const { body } = await get<RunView>(`/runs/${runId}`);
    return body.steps?.find((s) => s.id === stepId)?.status === status ? body : undefined;
  });
}

async function decide(runId: string, stepId: string, decision: unknown): Promise<Response> {
  return SELF.fetch(`https://ktsu.test/runs/${runId}/steps/${stepId}/approval/decide`, { method: "POST", body: JSON.stringify({ decision }) });
}

describe("human approval of a gated tool call", () => {
  it("suspends the step, shows the pending call, and resumes it with the approved call and the stored conversation", async () => {
    const runId = await start("agent-free", { script: approvalScript(pending()) });
    const suspended = await waitForStatus(runId, "a", "pending_approval");
    expect(suspended.run.status).toBe("running");
    expect((step(suspended, "a") as unknown as { pending_approval: Record<string, unknown> }).pending_approval).toMatchObject({
      tool_name: "delete_user",
      arguments: { user: "u42" },
      status: "pending",
    });
    const listed = await get<Array<{ run_id: string; step_id: string }>>("/approvals");
    expect(listed.body).toContainEqual(expect.objectContaining({ run_id: runId, step_id: "a" }));

    expect((await decide(runId, "a", "approved")).status).toBe(200);
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    const request = (step(view, "a").output as { request: Record<string, unknown> }).request;
    expect(request).toMatchObject({ is_resume: true, approved_tool_calls: ["call_1"], messages: conversation, attempt: 2 });
    // Metrics of the suspended leg are added to the resumed leg's.
    expect(step(view, "a").metrics.tokens_in).toBe(110);
    const approval = await get<{ status: string; decided_at: string }>(`/runs/${runId}/steps/a/approval`);
    expect(approval.body.status).toBe("approved");
    expect((await decide(runId, "a", "approved")).status).toBe(409);
  });

  it("reject with on_reject fail fails the step and the run", async () => {
    const runId = await start("agent-free", { script: approvalScript(pending()) });
    await waitForStatus(runId, "a", "pending_approval");
    expect((await decide(runId, "a", "rejected")).status).toBe(200);
    const view = await settled(runId);
    expect(view.run.error).toBe("agent step failed: tool call rejected by reviewer: delete_user");
  });

  it("reject with on_reject recover resumes the agent with the rejection as the tool's result", async () => {
    const runId = await start("agent-free", { script: approvalScript(pending({ on_reject: "recover" })) });
    await waitForStatus(runId, "a", "pending_approval");
    await decide(runId, "a", "rejected");
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    const request = (step(view, "a").output as { request: { messages: unknown[]; approved_tool_calls?: unknown } }).request;
    expect(request.approved_tool_calls).toBeUndefined();
    expect(request.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_1",
      content: "Tool call rejected by human reviewer. Please find an alternative approach.",
    });
  });

  it("a timeout fails the step, or rejects when timeout_behavior is reject", async () => {
    const failing = await start("agent-free", { script: approvalScript(pending({ timeout_ms: 300 })) });
    expect((await settled(failing)).run.error).toBe("agent step failed: approval timed out: delete_user");
    const recovering = await start("agent-free", { script: approvalScript(pending({ timeout_ms: 300, timeout_behavior: "reject", on_reject: "recover" })) });
    const view = await settled(recovering);
    expect(view.run.status).toBe("complete");
    expect((await get<{ status: string }>(`/runs/${recovering}/steps/a/approval`)).body.status).toBe("timeout");
  });

  it("answers 400 for a bad decision and 404 where no approval exists", async () => {
    const runId = await start("agent-free", { script: approvalScript(pending()) });
    await waitForStatus(runId, "a", "pending_approval");
    const bad = await decide(runId, "a", "maybe");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid_request", message: 'decision must be "approved" or "rejected"' });
    expect((await decide(runId, "after", "approved")).status).toBe(404);
    expect((await get(`/runs/${runId}/steps/after/approval`)).status).toBe(404);
    await decide(runId, "a", "rejected");
  });
});

describe("ktsu_needs_human", () => {
  it("halts the run; approving completes the held step and the run goes on", async () => {
    const runId = await start("agent-free", { script: script({ output: { ktsu_needs_human: true, draft: "d" } }) });
    const halted = await settled(runId);
    expect(halted.run.status).toBe("needs_human");
    expect(step(halted, "a").status).toBe("needs_human");
    expect((await decide(runId, "a", "approved")).status).toBe(200);
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "a").output).toEqual({ draft: "d" });
    expect(step(view, "after").output).toEqual({ result: { draft: "d" } });
  });

  it("rejecting fails the run", async () => {
    const runId = await start("agent-free", { script: script({ output: { ktsu_needs_human: true } }) });
    await settled(runId);
    await decide(runId, "a", "rejected");
    const view = await eventually(async () => {
      const { body } = await get<RunView>(`/runs/${runId}`);
      return body.run.status === "failed" ? body : undefined;
    });
    expect(view.run.error).toBe("needs_human_review: rejected by reviewer");
  });
});

describe("a lost runtime", () => {
  it("is re-dispatched from its last checkpoint when it had made progress", async () => {
    const runId = await start("agent-free", {
      script: script({ checkpoint_turns: 2, hang: true, heartbeat: false, on_resume: { echo: true } }),
    });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    const request = (step(view, "a").output as { request: { is_resume: boolean; messages: unknown[]; attempt: number } }).request;
    expect(request.is_resume).toBe(true);
    expect(request.attempt).toBe(2);
    expect(request.messages).toEqual([{ role: "user", content: "turn 2" }]);
  });
});

describe("approvals inside a sub-workflow", () => {
  it("show on the parent run's event stream, naming the sub-run and step to decide", async () => {
    const runId = await start("parent-agent", { script: approvalScript(pending()) });
    const subRun = `${runId}/call`;
    await waitForStatus(encodeURIComponent(subRun), "inner", "pending_approval");
    // The parent's stream stays open while it waits: read it until the forwarded event shows.
    const res = await SELF.fetch(`https://ktsu.test/runs/${runId}/events`);
    const reader = res.body!.getReader();
    let forwarded = "";
    while (!forwarded.includes("approval_pending")) {
      const { value, done } = await reader.read();
      if (done) break;
      forwarded += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const line = forwarded.split("\n").find((l) => l.startsWith("data:") && l.includes("approval_pending"))!;
    expect(JSON.parse(line.slice(5))).toMatchObject({
      type: "approval_pending",
      step_id: "call",
      data: { tool_name: "delete_user", sub_run_id: subRun, sub_step_id: "inner" },
    });
    expect((await decide(encodeURIComponent(subRun), "inner", "approved")).status).toBe(200);
    expect((await settled(runId)).run.status).toBe("complete");
  });
});
