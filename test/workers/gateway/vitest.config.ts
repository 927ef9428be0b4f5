import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { portableConfig, rawConfig, writeConfig } from "../../../cli/src/stack/worker-config.ts";
import { GROUP } from "../../support/project-order.ts";
import { DIST, PROJECT_BUNDLE, REPO } from "../../support/workerd-projects.ts";

const WORKERS_AI_STANDIN = "ktsu-workers-ai-standin";

/** The gateway's wrangler config without its AI binding, which is Cloudflare's (remote) and replaced here by a stand-in. */
async function configWithoutAi(): Promise<string> {
  const config = portableConfig(await rawConfig("gateway"), path.join(REPO, "workers", "gateway"));
  delete config.ai;
  return writeConfig("gateway", config, path.join(DIST, "gateway-test-config"));
}

/** Credentials the tests give the gateway; no response or log line may contain them. */
const TEST_SECRETS = {
  FAKE_API_KEY: "sk-test-openai-7c1d9e44",
  FAKE_ANTHROPIC_KEY: "sk-ant-test-3f8a21b0",
  FAKE_AIG_TOKEN: "aig-test-token-52c0e9d7",
} as const;

// The gateway runs as the main Worker against the fake provider
// (test/fake-provider), which speaks the Anthropic and OpenAI wire formats.
export default defineConfig({
  resolve: { alias: { "ktsu-project": PROJECT_BUNDLE } },
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: await configWithoutAi() },
      remoteBindings: false,
      miniflare: {
        // Workers AI has no local simulation: AI is a local Worker implementing the binding's run().
        serviceBindings: { AI: { name: WORKERS_AI_STANDIN, entrypoint: "FakeWorkersAi" } },
        workers: [
          {
            name: WORKERS_AI_STANDIN,
            modules: true,
            scriptPath: path.join(DIST, "workers-ai", "index.js"),
            modulesRoot: path.join(DIST, "workers-ai"),
            compatibilityDate: "2026-10-01",
          },
        ],
        bindings: {
          FAKE_PROVIDER_URL: inject<string>("fakeProviderUrl"),
          STREAMS_URL: inject<string>("streamsUrl"),
          // The egress may reach the scripted event streams only; a small cap keeps the size tests small.
          KTSU_EGRESS_ALLOW: JSON.stringify([new URL(inject<string>("streamsUrl")).host]),
          KTSU_EGRESS_MAX_RESPONSE_BYTES: "4096",
          ...TEST_SECRETS,
          // Retries back off from 10 ms, so retry tests stay fast.
          KTSU_GATEWAY_RETRY_BASE_MS: "10",
          KTSU_GATEWAY_RETRY_MAX_WAIT_MS: "3000",
          KTSU_GATEWAY_MAX_BODY_BYTES: "65536",
        },
      },
    })),
  ],
  test: {
    name: "gateway",
    sequence: { groupOrder: GROUP.gateway },
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.ts"],
    setupFiles: ["./setup.ts"],
    // A bound for a stuck test, not a speed limit: workerd on a busy machine is slow.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One fake provider with one reply queue serves the project: files run one at a time.
    fileParallelism: false,
  },
});
