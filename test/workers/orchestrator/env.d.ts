import type { D1Migration } from "cloudflare:test";
import type { OrchestratorEnv } from "../../../workers/orchestrator/src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends OrchestratorEnv {
      TEST_MIGRATIONS: D1Migration[];
      UNMIGRATED_DB: D1Database;
      BROKEN_DB: D1Database;
      /** A real Postgres, migrated (global-setup.ts): the Store suite runs on it and on DB. */
      POSTGRES_STORE: Hyperdrive;
      /** An empty database on the same server (readiness.test.ts). */
      POSTGRES_UNMIGRATED: Hyperdrive;
    }
  }
}
