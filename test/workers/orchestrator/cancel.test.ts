// Cancelling a run in the orchestrator (the runtime is the test double): the run and what still
// ran end cancelled, the runtime is told which hosts to stop (addressed as the dispatch addressed
// them), late results and checkpoints of a cancelled step are refused as stale, and a needs_human
// halt can be cancelled too. A run that fails stops what it still had in flight the same way.
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { checkpointPath } from "../../../shared/contracts/runtime.ts";
import { internal } from "../../../workers/orchestrator/src/internal-api.ts";
import { eventually, get, script, settled, start, step, type RunView } from "./helpers.ts";

const BASE = "https://ktsu.test";

async function cancel(runId: string): Promise<{ status: number; body: unknown }> {
  const res = await SELF.fetch(`${BASE}/runs/${encodeURIComponent(runId)}/cancel`, { method: "POST" });
  return { status: res.status, body: await res.json() };
}

async function cancelledHosts(runId: string): Promise<unknown[]> {
  const res = await env.RUNTIME.fetch(`https://runtime/__cancels?run_id=${encodeURIComponent(runId)}`);
  return ((await res.json()) as { hosts: unknown[] }).hosts;
}

async function running(runId: string, stepId: string): Promise<void> {
  await eventually(async () => {
    const { body } = await get<RunView>(`/runs/${runId}`);
    return body.steps?.find((s) => s.id === stepId)?.status === "running" ? true : undefined;
  });
}

describe("POST /runs/{id}/cancel", () => {
  it("ends a running run cancelled and tells the runtime to stop each running agent step's host", async () => {
    const runId = await start("parallel", { script_a: script({ hang: true }), script_b: script({ hang: true }) });
    await running(runId, "a");
    await running(runId, "b");

    expect(await cancel(runId)).toEqual({ status: 200, body: { run_id: runId, status: "cancelled" } });
    const view = await settled(runId);
    expect(view.run).toMatchObject({ status: "cancelled", error: "cancelled by request" });
    for (const id of ["a", "b"]) expect(step(view, id)).toMatchObject({ status: "failed", cancelled: { run_status: "cancelled" } });
    expect(view.steps!.find((s) => s.id === "joined")).toBeUndefined();
    expect(await cancelledHosts(runId)).toEqual(
      expect.arrayContaining([
        { run_id: runId, step_id: "a", attempt: 1 },
        { run_id: runId, step_id: "b", attempt: 1 },
      ]),
    );
    // A host that missed the cancel stops at its next checkpoint: the attempt is no longer current.
    const late = await internal.request(
      `https://orchestrator${checkpointPath(runId, "a")}`,
      { method: "POST", body: JSON.stringify({ attempt: 1, turn: 1, messages: [{ role: "user", content: "x" }] }) },
      env,
    );
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: "stale_attempt" });
  });

  it("addresses each running fanout item's host by its own step id and attempt", async () => {
    const items = [{ script: script({ hang: true }) }, { script: script({ hang: true }) }, { script: script({ output: { n: 3 } }) }];
    const runId = await start("fanout", { items });
    await running(runId, "each");
    expect((await cancel(runId)).status).toBe(200);
    expect((await settled(runId)).run.status).toBe("cancelled");
    // Concurrency 2: the first two items were running, both in the step's one host; the third was never dispatched.
    expect(await cancelledHosts(runId)).toEqual([
      { run_id: runId, step_id: "each.0", attempt: 1, host_key: "each#0" },
      { run_id: runId, step_id: "each.1", attempt: 1, host_key: "each#0" },
    ]);
  });

  it("cancels a run halted for a human: the step's review closes and the run ends cancelled", async () => {
    const runId = await start("agent-free", { script: script({ output: { ktsu_needs_human: true, note: "look" } }) });
    const halted = await settled(runId);
    expect(halted.run.status).toBe("needs_human");
    expect((await cancel(runId)).status).toBe(200);
    const view = await settled(runId);
    expect(view.run.status).toBe("cancelled");
    expect(step(view, "a")).toMatchObject({ status: "failed", cancelled: { run_status: "cancelled" } });
    const approval = await get<{ status: string }>(`/runs/${runId}/steps/a/approval`);
    expect(approval.body.status).toBe("cancelled");
  });

  it("answers 409 for a run that has ended, a second cancel included, and 404 for an unknown run", async () => {
    const done = await start("agent-free", { script: script({ output: { ok: true } }) });
    expect((await settled(done)).run.status).toBe("complete");
    expect(await cancel(done)).toEqual({ status: 409, body: { error: "conflict", message: "run already ended (complete)" } });
    const runId = await start("agent-free", { script: script({ hang: true }) });
    await running(runId, "a");
    expect((await cancel(runId)).status).toBe(200);
    expect(await cancel(runId)).toEqual({ status: 409, body: { error: "conflict", message: "run already cancelled" } });
    expect(await cancel("run_ffffffffffffffff")).toEqual({ status: 404, body: { error: "not_found", message: "run not found" } });
  });
});

describe("a run that fails", () => {
  it("tells the runtime to stop the agent steps still running in other branches", async () => {
    const runId = await start("parallel", { script_a: script({ status: "failed", error: "boom", delay_ms: 200 }), script_b: script({ hang: true }) });
    const view = await settled(runId);
    expect(view.run.status).toBe("failed");
    expect(step(view, "b")).toMatchObject({ status: "failed", cancelled: { run_status: "failed" } });
    await eventually(async () => ((await cancelledHosts(runId)).length > 0 ? true : undefined));
    // Only the step still in flight: the failed one has ended on the runtime already.
    expect(await cancelledHosts(runId)).toEqual([{ run_id: runId, step_id: "b", attempt: 1 }]);
  });
});
