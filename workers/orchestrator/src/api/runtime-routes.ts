import type { Context, Hono } from "hono";
import { parseWith } from "../../../../shared/contracts/schemas/parse.ts";
import { HeartbeatPayloadSchema, ReceivedCallbackSchema, ReceivedCheckpointSchema } from "../../../../shared/contracts/schemas/runtime.ts";
import type { z } from "zod";
import type { OrchestratorEnv } from "../env.ts";
import { MAX_CHECKPOINT_BYTES } from "../engine/limits.ts";
import { applyCallback, applyCheckpoint, applyHeartbeat } from "./runtime-handlers.ts";
import { readJsonBody } from "./body.ts";

type App = Hono<{ Bindings: OrchestratorEnv }>;
type Ctx = Context<{ Bindings: OrchestratorEnv }>;

/**
 * A result carries the conversation too (large tool results included): accept it, and keep
 * from it only what fits the run's state (outputs ≤ 1 MiB, see engine/limits.ts).
 */
const MAX_CALLBACK_BYTES = 32 * 1024 * 1024;

/** The body checked against its contract, or the 400 that names the first field at fault. */
async function payload<S extends z.ZodType>(
  c: Ctx,
  schema: S,
  maxBytes?: number,
): Promise<{ ok: true; value: z.output<S> } | { ok: false; response: Response }> {
  const body = await readJsonBody(c, maxBytes);
  if (!body.ok) return { ok: false, response: c.json({ error: "invalid_request", message: `invalid payload: ${body.message}` }, 400) };
  const parsed = parseWith(schema, body.value);
  if (!parsed.ok) {
    const field = parsed.field === "" ? {} : { field: parsed.field };
    return { ok: false, response: c.json({ error: "invalid_request", message: `invalid payload: ${parsed.message}`, ...field }, 400) };
  }
  return { ok: true, value: parsed.value };
}

/**
 * The runtime-facing routes: step results, heartbeats and per-turn checkpoints. They are
 * served only by the `RuntimeApi` entrypoint, which other Workers reach through a
 * service binding: nothing on the public internet can post a step result. Each body is
 * validated against its contract (shared/contracts/schemas/runtime.ts). The RuntimeApi
 * entrypoint's RPC methods do the same without the HTTP (internal-api.ts).
 */
export function registerRuntimeRoutes(app: App): void {
  // The agent result for a step (ids percent-encoded, so sub-run ids with "/" work).
  app.post("/runs/:run/steps/:step/complete", async (c) => {
    const body = await payload(c, ReceivedCallbackSchema, MAX_CALLBACK_BYTES);
    if (!body.ok) return body.response;
    await applyCallback(c.env, c.req.param("run"), c.req.param("step"), body.value);
    return c.body(null, 200);
  });

  app.post("/runs/:run/steps/:step/checkpoint", async (c) => {
    const body = await payload(c, ReceivedCheckpointSchema, MAX_CHECKPOINT_BYTES);
    if (!body.ok) return body.response;
    const { current } = await applyCheckpoint(c.env, c.req.param("run"), c.req.param("step"), body.value);
    // 409 tells a superseded runtime to stop (the run ended, or the step moved on to another attempt).
    if (!current) return c.json({ error: "stale_attempt", message: "this attempt of the step is no longer running" }, 409);
    return c.body(null, 200);
  });

  app.post("/heartbeat", async (c) => {
    const body = await payload(c, HeartbeatPayloadSchema);
    if (!body.ok) return body.response;
    await applyHeartbeat(c.env, body.value);
    return c.body(null, 200);
  });
}
