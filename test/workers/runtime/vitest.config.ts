import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { LegacyWorkerOptions } from "miniflare";
import { defineConfig } from "vitest/config";
import { GROUP } from "../../support/project-order.ts";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions } from "wrangler";
import { blockEgress } from "../../../cli/src/stack/stack.ts";
import { auxWorker, DIST, PROJECT_BUNDLE, REPO } from "../../support/workerd-projects.ts";

const main = { worker: "runtime", project: "runtime" } as const;

/** The recording orchestrator (test/workers/support/recording-orchestrator) under the orchestrator's name. */
function recordingOrchestrator(): LegacyWorkerOptions {
  const config = path.join(REPO, "test", "workers", "support", "recording-orchestrator", "wrangler.jsonc");
  const { modulesRules: _rules, ...fromConfig } = getMiniflareWorkerOptions(config).workerOptions;
  const entry = path.join(DIST, "recording-orchestrator", "index.js");
  return {
    ...(fromConfig as Omit<LegacyWorkerOptions, "scriptPath">),
    name: "ktsu-orchestrator",
    modules: true,
    scriptPath: entry,
    modulesRoot: path.dirname(entry),
    outboundService: blockEgress("orchestrator"),
  };
}

// The runtime runs as the main Worker; the gateway (talking to the fake provider) and the
// tools Worker are the real bundles; the orchestrator is a double that records what the
// runtime sends it.
export default defineConfig({
  resolve: { alias: { "ktsu-project": PROJECT_BUNDLE } },
  plugins: [
    cloudflareTest(async ({ inject }) => {
      const fakeProviderUrl = inject<string>("fakeProviderUrl");
      const sinkUrl = inject<string>("sinkUrl");
      const legacyMcpUrl = inject<string>("legacyMcpUrl");
      return {
        wrangler: { configPath: path.join(REPO, "workers", "runtime", "wrangler.toml") },
        miniflare: {
          bindings: {
            KTSU_HEARTBEAT_INTERVAL_MS: "200",
            KTSU_RUNTIME_ID: "rt-test",
            // Test-only faults on the calls to step hosts (shared/util/test-faults.ts), each armed only
            // for run ids with its prefix (host-retries.test.ts).
            KTSU_TEST_FAULTS: "do_call_fails_once:fault-host-once-,do_call_fails:fault-host-down-",
            FAKE_PROVIDER_URL: fakeProviderUrl,
            SINK_URL: sinkUrl,
            LEGACY_MCP_URL: legacyMcpUrl,
          },
          workers: [
            auxWorker("gateway", main, {
              vars: { FAKE_PROVIDER_URL: fakeProviderUrl, FAKE_API_KEY: "fake-key" },
              egressAllow: [new URL(sinkUrl).host, new URL(legacyMcpUrl).host],
            }),
            auxWorker("tools", main),
            recordingOrchestrator(),
          ],
        },
      };
    }),
  ],
  test: {
    name: "runtime",
    sequence: { groupOrder: GROUP.runtime },
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.ts"],
    // A bound for a stuck test, not a speed limit: workerd on a busy machine is slow.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One fake provider serves the whole project and its reply queue is global: files must not interleave.
    fileParallelism: false,
  },
});
