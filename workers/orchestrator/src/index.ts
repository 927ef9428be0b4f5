import { createServiceApp } from "../../../shared/http/service-app.ts";
import type { OrchestratorEnv } from "./env.ts";
import { aggregateHealth } from "./health.ts";

export { RunDO } from "./run-do.ts";

// The orchestrator's health also reports the Workers it depends on (spec §5.4).
const app = createServiceApp<{ Bindings: OrchestratorEnv }>("orchestrator", async (c) => {
  const { body, code } = await aggregateHealth(c.env);
  return c.json(body, code);
});

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<unknown>): Promise<void> {
    // Queue-triggered runs arrive with the orchestrator issue; until then no message is consumed silently.
    for (const message of batch.messages) message.retry();
  },
  async scheduled(): Promise<void> {
    // Cron backstop for lost alarms; nothing to sweep before runs exist.
  },
} satisfies ExportedHandler<OrchestratorEnv>;
