import type { Hono } from "hono";
import type { CallbackPayload, ChatMessage, HeartbeatPayload } from "../../../../shared/contracts/runtime.ts";
import type { OrchestratorEnv } from "../env.ts";
import { runStub } from "../run/stub.ts";
import { MAX_CHECKPOINT_BYTES } from "../engine/limits.ts";
import { normalizeMetrics } from "../engine/metrics.ts";
import { isPlainObject, readJsonBody } from "./body.ts";

type App = Hono<{ Bindings: OrchestratorEnv }>;

/**
 * A result carries the conversation too (large tool results included): accept it, and keep
 * from it only what fits the run's state (outputs ≤ 1 MiB, see engine/limits.ts).
 */
const MAX_CALLBACK_BYTES = 32 * 1024 * 1024;

/**
 * The runtime-facing routes (spec §6.2, §6.3, plus per-turn checkpoints). They are
 * served only by the `RuntimeApi` entrypoint, which other Workers reach through a
 * service binding: nothing on the public internet can post a step result.
 */
export function registerRuntimeRoutes(app: App): void {
  // Runtime-facing: the agent result for a step (ids percent-encoded, so sub-run ids with "/" work).
  app.post("/runs/:run/steps/:step/complete", async (c) => {
    const body = await readJsonBody(c, MAX_CALLBACK_BYTES);
    if (!body.ok || !isPlainObject(body.value)) return c.json({ error: "invalid_request", message: "invalid payload" }, 400);
    const payload = body.value as unknown as CallbackPayload;
    await runStub(c.env, c.req.param("run")).callback({ ...payload, run_id: c.req.param("run"), step_id: c.req.param("step") });
    return c.body(null, 200);
  });

  app.post("/runs/:run/steps/:step/checkpoint", async (c) => {
    const body = await readJsonBody(c, MAX_CHECKPOINT_BYTES);
    if (!body.ok || !isPlainObject(body.value) || !Array.isArray(body.value.messages))
      return c.json({ error: "invalid_request", message: "invalid payload" }, 400);
    const { attempt, turn, messages, metrics } = body.value as { attempt?: unknown; turn?: unknown; messages: ChatMessage[]; metrics?: unknown };
    if (typeof attempt !== "number" || typeof turn !== "number") return c.json({ error: "invalid_request", message: "attempt and turn must be numbers" }, 400);
    await runStub(c.env, c.req.param("run")).checkpoint(c.req.param("step"), {
      attempt,
      turn,
      messages,
      ...(isPlainObject(metrics) ? { metrics: normalizeMetrics(metrics) } : {}),
    });
    return c.body(null, 200);
  });

  app.post("/heartbeat", async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok || !isPlainObject(body.value) || !Array.isArray(body.value.active)) {
      return c.json({ error: "invalid_request", message: "invalid payload" }, 400);
    }
    const byRun = new Map<string, string[]>();
    for (const entry of (body.value as unknown as HeartbeatPayload).active) {
      if (typeof entry?.run_id !== "string" || typeof entry?.step_id !== "string") continue;
      byRun.set(entry.run_id, [...(byRun.get(entry.run_id) ?? []), entry.step_id]);
    }
    await Promise.all([...byRun].map(([runId, steps]) => runStub(c.env, runId).heartbeat(steps)));
    return c.body(null, 200);
  });
}
