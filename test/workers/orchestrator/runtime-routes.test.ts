// The RuntimeApi routes check each payload against its contract (shared/contracts/schemas/runtime.ts):
// a payload of the wrong shape answers 400 naming the field, and changes nothing.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { internal } from "../../../workers/orchestrator/src/internal-api.ts";
import { script, settled, start, step } from "./helpers.ts";

const RUN = "run_00000000000000aa";

async function post(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await internal.request(`https://orchestrator${path}`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) }, env);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe("a checkpoint tells the runtime whether its attempt is still current", () => {
  it("200 for the running attempt; 409 for another attempt, and for any attempt once the step has ended", async () => {
    // The runtime double beats once, then goes silent without a result: the step fails at its heartbeat timeout.
    const runId = await start("agent-free", { script: script({ hang: true, heartbeat: false }) });
    const path = `/runs/${runId}/steps/a/checkpoint`;
    // Turn 0 is no progress, so these checkpoints do not earn the step a re-dispatch.
    const checkpoint = (attempt: number) => post(path, { attempt, turn: 0, messages: [{ role: "user", content: "x" }] });
    expect(await checkpoint(1)).toEqual({ status: 200, body: null });
    expect(await checkpoint(2)).toMatchObject({ status: 409, body: { error: "stale_attempt" } });
    const view = await settled(runId);
    expect(step(view, "a").status).toBe("failed");
    expect(await checkpoint(1)).toMatchObject({ status: 409, body: { error: "stale_attempt" } });
  });
});

describe("runtime-facing routes validate their payloads", () => {
  it("a step result: 400 naming the field for a bad status or metric, 200 for a partial usage", async () => {
    const path = `/runs/${RUN}/steps/a/complete`;
    expect(await post(path, { status: "done", output: null, error: "" })).toEqual({
      status: 400,
      body: { error: "invalid_request", message: expect.stringContaining('field "status"'), field: "status" },
    });
    expect(await post(path, { status: "ok", output: {}, metrics: { tokens_in: "ten" } })).toMatchObject({ status: 400, body: { field: "metrics.tokens_in" } });
    expect(await post(path, "{nope")).toMatchObject({
      status: 400,
      body: { error: "invalid_request", message: expect.stringMatching(/^invalid payload: malformed JSON/) },
    });
    // Nothing waits for this run: a well-formed result is still answered 200.
    expect(await post(path, { status: "ok", output: { x: 1 }, metrics: { tokens_in: 3 } })).toEqual({ status: 200, body: null });
  });

  it("a checkpoint: attempt, turn and messages are required and typed", async () => {
    const path = `/runs/${RUN}/steps/a/checkpoint`;
    expect(await post(path, { turn: 1, messages: [] })).toMatchObject({ status: 400, body: { field: "attempt" } });
    expect(await post(path, { attempt: 1, turn: 1, messages: [{ role: "robot", content: "x" }] })).toMatchObject({
      status: 400,
      body: { field: "messages[0].role" },
    });
    // Well-formed, but no run waits for it: the runtime is told its attempt is not current.
    expect(await post(path, { attempt: 1, turn: 1, messages: [{ role: "user", content: "x" }], metrics: {} })).toEqual({
      status: 409,
      body: { error: "stale_attempt", message: "this attempt of the step is no longer running" },
    });
  });

  it("a heartbeat: every active entry names its run and step", async () => {
    expect(await post("/heartbeat", { runtime_id: "rt", active: [{ run_id: RUN }] })).toMatchObject({ status: 400, body: { field: "active[0].step_id" } });
    expect(await post("/heartbeat", { runtime_id: "rt", active: [{ run_id: RUN, step_id: "a" }] })).toEqual({ status: 200, body: null });
  });
});
