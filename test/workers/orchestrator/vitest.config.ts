import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { GROUP } from "../../support/project-order.ts";
import { auxWorker, DIST, PROJECT_BUNDLE, REPO } from "../../support/workerd-projects.ts";

const main = { worker: "orchestrator", project: "orchestrator" } as const;
const HEARTBEAT_TIMEOUT_MS = 4000;
/** `*.large.test.ts` (minutes of work, e.g. a 10,000-item fanout) run only with KTSU_TEST_LARGE=1: `npm run test:large`. */
const large = process.env.KTSU_TEST_LARGE === "1";

// The orchestrator runs as the main Worker; the runtime is the scripted test double
// (the runtime contract, no LLM); gateway and tools are the real bundles.
export default defineConfig({
  resolve: { alias: { "ktsu-project": PROJECT_BUNDLE } },
  plugins: [
    cloudflareTest(async ({ inject }) => {
      const sinkUrl = inject<string>("sinkUrl");
      const postgresUrl = inject<string>("postgresUrl");
      const unmigratedPostgresUrl = inject<string>("unmigratedPostgresUrl");
      return {
        wrangler: { configPath: path.join(REPO, "wrangler.toml") },
        // The runtime binds to this named entrypoint of the orchestrator.
        additionalExports: { RuntimeApi: "WorkerEntrypoint" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: await readD1Migrations(path.join(REPO, "migrations")),
            SINK_URL: sinkUrl,
            SINK_TOKEN: "sink-token-4f9a2c",
            API_TOKEN: "api-token-secret-77d1e0",
            INVOKE_SECRET: "invoke-secret-9b3e",
            // Short so heartbeat-timeout tests end soon, long enough (20 of the test runtime's
            // 200 ms heartbeats) that a busy machine does not time out a healthy step. It must
            // stay under the run's 10 s watchdog (execution.test.ts tells the two apart).
            KTSU_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
            KTSU_STATE_KEY: "q5n2M8i3w0Yb7+GsWcYk1Jr9oQmZl6Ue4T1hXvA0dN8=",
            // As the local stack without --secure: admin routes open while no admin token is set
            // (security.test.ts checks the deployed default by leaving this out).
            KTSU_ADMIN_OPEN: "true",
            // Test-only faults (run/test-faults.ts, shared/util/test-faults.ts), each armed only for run ids with its prefix
            // (engine-repair.test.ts, do-retries.test.ts).
            KTSU_TEST_FAULTS: "mirror_fails_once_at_end:fault-mirror-,do_call_fails_once:fault-do-",
          },
          // D1 databases no migration has touched (readiness.test.ts): the window before
          // `wrangler d1 migrations apply`, and a Store whose tables are missing though migrated.
          d1Databases: { UNMIGRATED_DB: "unmigrated-db", BROKEN_DB: "broken-db" },
          // The Store suite's Postgres (global-setup.ts), under another name than HYPERDRIVE so
          // the other tests keep the default D1 Store.
          hyperdrives: { POSTGRES_STORE: postgresUrl, POSTGRES_UNMIGRATED: unmigratedPostgresUrl },
          workers: [
            auxWorker("runtime", main, { entry: path.join(DIST, "fake-runtime", "index.js") }),
            auxWorker("gateway", main, { egressAllow: [new URL(sinkUrl).host] }),
            auxWorker("tools", main),
          ],
        },
      };
    }),
  ],
  test: {
    name: "orchestrator",
    sequence: { groupOrder: GROUP.orchestrator },
    include: large ? ["**/*.large.test.ts"] : ["**/*.test.ts"],
    exclude: large ? ["**/node_modules/**"] : ["**/node_modules/**", "**/*.large.test.ts"],
    setupFiles: ["./setup.ts"],
    globalSetup: ["./global-setup.ts"],
    // A bound for a stuck test (waits inside are bounded by helpers.ts WAIT_MS), not a speed limit.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
