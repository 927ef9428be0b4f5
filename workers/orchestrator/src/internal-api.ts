import { WorkerEntrypoint } from "cloudflare:workers";
import type { CallbackPayload, CheckpointPayload, HeartbeatPayload } from "../../../shared/contracts/runtime.ts";
import type { CompleteAnswer, CompleteManyOptions, CompleteOptions, OrchestratorRpc, StepResult } from "../../../shared/contracts/service-rpc.ts";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import { servedEnvelope } from "./api/routes.ts";
import { applyCallback, applyCallbacks, applyCheckpoint, applyHeartbeat } from "./api/runtime-handlers.ts";
import { registerRuntimeRoutes } from "./api/runtime-routes.ts";
import { jsonBytes, MAX_CHECKPOINT_BYTES } from "./engine/limits.ts";
import type { OrchestratorEnv } from "./env.ts";

/** The routes of the RuntimeApi entrypoint (exported for tests, which call them without a binding). */
export const internal = createServiceApp<{ Bindings: OrchestratorEnv }>("orchestrator (internal)");
registerRuntimeRoutes(internal);
// The tools Worker's `envelope` MCP server reads run data here, never through the public API.
internal.get("/runs/:run/envelope", async (c) => {
  const served = await servedEnvelope(c.env, c.req.param("run"));
  if (!served) return c.json({ error: "not_found", message: "run not found" }, 404);
  const { paged: _paged, ...envelope } = served;
  return c.json(envelope);
});

/**
 * The orchestrator's internal face: step results, heartbeats and checkpoints from
 * the runtime, envelope reads from the tools Worker. Reachable only through a
 * service binding with `entrypoint: "RuntimeApi"` — it has no public URL, so no
 * one on the internet can post a step result (the original had no service auth).
 * The runtime posts through the RPC methods, which apply the same handlers as the routes.
 */
export class RuntimeApi extends WorkerEntrypoint<OrchestratorEnv> implements OrchestratorRpc {
  override fetch(request: Request): Response | Promise<Response> {
    return internal.fetch(request, this.env, this.ctx);
  }

  async complete(runId: string, stepId: string, payload: CallbackPayload, options: CompleteOptions = {}): Promise<CompleteAnswer> {
    return applyCallback(this.env, runId, stepId, payload, options.take_next === true);
  }

  async completeMany(runId: string, results: StepResult[], options: CompleteManyOptions = {}): Promise<CompleteAnswer> {
    return applyCallbacks(this.env, runId, results, { takeNext: Math.max(0, Math.floor(options.take_next ?? 0)), queue: options.queue === true });
  }

  async checkpoint(runId: string, stepId: string, payload: CheckpointPayload): Promise<{ current: boolean }> {
    const { attempt } = payload;
    // The route's 400 and 413: the runtime keeps going, and a resume starts from an older checkpoint.
    if (attempt === undefined) throw new Error("a checkpoint must name its attempt");
    if (jsonBytes(payload.messages) > MAX_CHECKPOINT_BYTES) throw new Error(`checkpoint exceeds ${MAX_CHECKPOINT_BYTES} bytes`);
    return applyCheckpoint(this.env, runId, stepId, { ...payload, attempt });
  }

  async heartbeat(payload: HeartbeatPayload): Promise<void> {
    await applyHeartbeat(this.env, payload);
  }
}
