import type { z } from "@hono/zod-openapi";
import type { HealthSchema } from "./api/schemas.ts";
import type { OrchestratorEnv } from "./env.ts";
import { openStore } from "./store/open-store.ts";

type Health = z.infer<typeof HealthSchema>;
export type ServiceHealth = Health["services"]["runtime"];

const PROBE_TIMEOUT_MS = 2000;

/** Probes a bound Worker's `GET /health` with the original's 2 s bound and status words. */
async function probe(service: Fetcher): Promise<ServiceHealth> {
  try {
    const res = await service.fetch("https://internal/health", { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.status === 200 ? "ok" : "unhealthy";
  } catch {
    return "down";
  }
}

/**
 * Aggregate health: `{"status":"ok"|"error","services":{...}}`, 503 when any service is not ok
 * or the Store (D1) is not migrated and answering: a new deploy is not ready before its migrations.
 */
export async function aggregateHealth(env: OrchestratorEnv): Promise<{ body: Health; code: 200 | 503 }> {
  const [runtime, gateway, tools, store] = await Promise.all([probe(env.RUNTIME), probe(env.GATEWAY), probe(env.TOOLS), openStore(env).readiness()]);
  const services = { orchestrator: "ok" as const, store, runtime, gateway, tools };
  const healthy = [runtime, gateway, tools, store].every((s) => s === "ok");
  return { body: { status: healthy ? "ok" : "error", services }, code: healthy ? 200 : 503 };
}
