import { app } from "./api/app.ts";
import type { OrchestratorEnv } from "./env.ts";
import { consumeRunMessages } from "./queue.ts";
import { sweepStaleRuns } from "./sweep.ts";

export { RunDO } from "./run/run-do.ts";
export { RuntimeApi } from "./internal-api.ts";

export default {
  fetch: app.fetch,
  queue: consumeRunMessages,
  async scheduled(_controller, env): Promise<void> {
    const { checked, rearmed } = await sweepStaleRuns(env);
    if (checked > 0) console.log(`sweep: ${checked} stale running run(s), ${rearmed} repaired (alarm re-armed or D1 re-mirrored)`);
  },
} satisfies ExportedHandler<OrchestratorEnv>;
