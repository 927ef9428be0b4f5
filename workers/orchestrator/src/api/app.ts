import { createServiceApp } from "../../../../shared/http/service-app.ts";
import type { OrchestratorEnv } from "../env.ts";
import { aggregateHealth } from "../health.ts";
import { registerRoutes } from "./routes.ts";
import { registerUiRoutes } from "./ui-routes.ts";

/** The orchestrator's public app. Its health also reports the Workers it depends on (spec §5.4). */
export const app = createServiceApp<{ Bindings: OrchestratorEnv }>("orchestrator", async (c) => {
  const { body, code } = await aggregateHealth(c.env);
  return c.json(body, code);
});
registerRoutes(app);
registerUiRoutes(app);
