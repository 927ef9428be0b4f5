import { DurableObject } from "cloudflare:workers";
import type { OrchestratorEnv } from "./env.ts";

/**
 * One Durable Object per run (id derived from the run id). It owns the run's
 * DAG and state; its alarm is the run's clock (heartbeat deadlines, timeouts,
 * resume after eviction). The execution engine lands with the orchestrator issue;
 * this class already persists every state change before acting on it.
 */
export class RunDO extends DurableObject<OrchestratorEnv> {
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/state") {
      const state = (await this.ctx.storage.get("run")) ?? null;
      return Response.json({ run: state });
    }
    return Response.json({ error: "not_found", message: `RunDO: no route for ${request.method} ${url.pathname}` }, { status: 404 });
  }

  override async alarm(): Promise<void> {
    // Nothing is scheduled until the execution engine exists.
  }
}
