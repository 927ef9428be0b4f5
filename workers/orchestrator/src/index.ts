import { createServiceApp } from "../../../shared/http/service-app.ts";
import { registerRoutes } from "./api/routes.ts";
import { registerUiRoutes } from "./api/ui-routes.ts";
import type { OrchestratorEnv } from "./env.ts";
import { aggregateHealth } from "./health.ts";
import { consumeRunMessages } from "./queue.ts";
import { sweepStaleRuns } from "./sweep.ts";

export { RunDO } from "./run/run-do.ts";
export { RuntimeApi } from "./internal-api.ts";

// The orchestrator's health also reports the Workers it depends on (spec §5.4).
const app = createServiceApp<{ Bindings: OrchestratorEnv }>("orchestrator", async (c) => {
  const { body, code } = await aggregateHealth(c.env);
  return c.json(body, code);
});
registerRoutes(app);
registerUiRoutes(app);

export default {
  fetch: app.fetch,
  queue: consumeRunMessages,
  async scheduled(_controller, env): Promise<void> {
    const { checked, rearmed } = await sweepStaleRuns(env);
    if (checked > 0) console.log(`sweep: ${checked} stale running run(s), ${rearmed} alarm(s) re-armed`);
  },
} satisfies ExportedHandler<OrchestratorEnv>;
