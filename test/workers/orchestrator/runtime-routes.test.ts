// The RuntimeApi routes check each payload against its contract (shared/contracts/schemas/runtime.ts):
// a payload of the wrong shape answers 400 naming the field, and changes nothing.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { internal } from "../../../workers/orchestrator/src/internal-api.ts";

const RUN = "run_00000000000000aa";

async function post(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await internal.request(`https://orchestrator${path}`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) }, env);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

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
    expect(await post(path, { attempt: 1, turn: 1, messages: [{ role: "user", content: "x" }], metrics: {} })).toEqual({ status: 200, body: null });
  });

  it("a heartbeat: every active entry names its run and step", async () => {
    expect(await post("/heartbeat", { runtime_id: "rt", active: [{ run_id: RUN }] })).toMatchObject({ status: 400, body: { field: "active[0].step_id" } });
    expect(await post("/heartbeat", { runtime_id: "rt", active: [{ run_id: RUN, step_id: "a" }] })).toEqual({ status: 200, body: null });
  });
});
