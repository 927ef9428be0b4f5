import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { withServiceConventions } from "../../../../shared/http/service-app.ts";
import type { OrchestratorEnv } from "../env.ts";
import { aggregateHealth } from "../health.ts";
import { openStore } from "../store/open-store.ts";
import type { OrchestratorApp } from "./app-type.ts";
import { apiSecurityHeaders, checkHost, refuseCrossSite } from "./request-guards.ts";
import { registerMcpRoute } from "./mcp-route.ts";
import { registerRoutes } from "./routes.ts";
import { healthRoute } from "./spec.ts";
import { registerUiRoutes } from "./ui-routes.ts";
import { validationHook } from "./validation.ts";

/** A failed request while the Store is not migrated is a 503 that says so, not a 500. */
async function storeNotReady(c: Context<{ Bindings: OrchestratorEnv }>): Promise<Response | null> {
  const store = openStore(c.env);
  const readiness = await store.readiness();
  if (readiness === "ok") return null;
  const howToMigrate =
    store.dialect === "D1" ? "`ktsu deploy --bootstrap`, or `wrangler d1 migrations apply`" : "`ktsu deploy --store-url`, which applies them";
  const message =
    readiness === "not_migrated"
      ? `the Store is not ready: its ${store.dialect} migrations are not applied (${howToMigrate})`
      : `the Store (${store.dialect}) is not answering; try again later`;
  return c.json({ error: "not_ready", message }, 503);
}

/**
 * The orchestrator's public app: every route is declared in spec.ts, validated with its
 * schemas and described by the generated document at /openapi.json. Its health also reports
 * the Workers it depends on and the Store. Every request passes the Host check, state-changing
 * ones the cross-site check, and every answer carries the security headers (request-guards.ts).
 * An unexpected failure answers with a request id, never its message.
 */
export const app: OrchestratorApp = withServiceConventions(new OpenAPIHono<{ Bindings: OrchestratorEnv }>({ defaultHook: validationHook }), "orchestrator", {
  hideInternalErrors: true,
  explainFailure: storeNotReady,
});
app.use("*", apiSecurityHeaders, checkHost, refuseCrossSite);
app.openapi(healthRoute, async (c) => {
  const { body, code } = await aggregateHealth(c.env);
  return c.json(body, code);
});
registerRoutes(app);
registerMcpRoute(app);
registerUiRoutes(app);
