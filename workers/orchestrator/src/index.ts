import { createServiceApp } from "../../../shared/http/service-app.ts";
import { registerRoutes } from "./api/routes.ts";
import type { OrchestratorEnv } from "./env.ts";
import { aggregateHealth } from "./health.ts";
import { consumeRunMessages } from "./queue.ts";

export { RunDO } from "./run/run-do.ts";

// The orchestrator's health also reports the Workers it depends on (spec §5.4).
const app = createServiceApp<{ Bindings: OrchestratorEnv }>("orchestrator", async (c) => {
  const { body, code } = await aggregateHealth(c.env);
  return c.json(body, code);
});
registerRoutes(app);

export default {
  fetch: app.fetch,
  queue: consumeRunMessages,
  async scheduled(): Promise<void> {
    // Cron backstop for lost alarms: lands with the reliability work.
  },
} satisfies ExportedHandler<OrchestratorEnv>;
