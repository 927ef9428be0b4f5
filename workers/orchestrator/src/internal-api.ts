import { WorkerEntrypoint } from "cloudflare:workers";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import { servedEnvelope } from "./api/routes.ts";
import { registerRuntimeRoutes } from "./api/runtime-routes.ts";
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
 */
export class RuntimeApi extends WorkerEntrypoint<OrchestratorEnv> {
  override fetch(request: Request): Response | Promise<Response> {
    return internal.fetch(request, this.env, this.ctx);
  }
}
