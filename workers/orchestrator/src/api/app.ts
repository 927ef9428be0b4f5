import { OpenAPIHono } from "@hono/zod-openapi";
import { withServiceConventions } from "../../../../shared/http/service-app.ts";
import type { OrchestratorEnv } from "../env.ts";
import { aggregateHealth } from "../health.ts";
import type { OrchestratorApp } from "./app-type.ts";
import { registerRoutes } from "./routes.ts";
import { healthRoute } from "./spec.ts";
import { registerUiRoutes } from "./ui-routes.ts";
import { validationHook } from "./validation.ts";

/**
 * The orchestrator's public app: every route is declared in spec.ts, validated with its
 * schemas and described by the generated document at /openapi.json. Its health also reports
 * the Workers it depends on.
 */
export const app: OrchestratorApp = withServiceConventions(new OpenAPIHono<{ Bindings: OrchestratorEnv }>({ defaultHook: validationHook }), "orchestrator");
app.openapi(healthRoute, async (c) => {
  const { body, code } = await aggregateHealth(c.env);
  return c.json(body, code);
});
registerRoutes(app);
registerUiRoutes(app);
