import { app } from "./api/app.ts";
import type { OrchestratorEnv } from "./env.ts";
import { consumeRunMessages } from "./queue.ts";
import { purgeExpiredRuns } from "./retention.ts";
import { sweepStaleRuns } from "./sweep.ts";

export { RunDO } from "./run/run-do.ts";
export { McpSessionDO } from "./mcp/session-do.ts";
export { RuntimeApi } from "./internal-api.ts";

export default {
  fetch: app.fetch,
  queue: consumeRunMessages,
  async scheduled(_controller, env): Promise<void> {
    // Two independent passes: one failing does not keep the other from running.
    const [sweep, retention] = await Promise.allSettled([sweepStaleRuns(env), purgeExpiredRuns(env)]);
    if (sweep.status === "rejected") console.error("sweep failed", sweep.reason);
    else if (sweep.value.checked > 0) {
      console.log(`sweep: ${sweep.value.checked} stale running run(s), ${sweep.value.rearmed} repaired (alarm re-armed or D1 re-mirrored)`);
    }
    if (retention.status === "rejected") console.error("retention failed", retention.reason);
    else if (Object.values(retention.value).some((n) => n > 0)) console.log(`retention: ${JSON.stringify(retention.value)}`);
  },
} satisfies ExportedHandler<OrchestratorEnv>;
