import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { LegacyWorkerOptions, V4ServiceDesignator } from "miniflare";
import { defineConfig } from "vitest/config";
import { OFFLINE_ENV } from "./cli/src/stack/paths.ts";
import { localWorkerOptions } from "./cli/src/stack/stack.ts";

const root = import.meta.dirname;
const dist = (...parts: string[]) => path.join(root, "dist", ...parts);

// The plugin names the main Worker `vitest-plugin-runner-<project>`; auxiliary Workers
// that call back to the orchestrator must be bound to that name instead of ktsu-orchestrator.
const ORCHESTRATOR_TEST_RUNNER = "vitest-plugin-runner-orchestrator";

function withOrchestratorAs(runner: string, options: LegacyWorkerOptions): LegacyWorkerOptions {
  const bindings: Record<string, V4ServiceDesignator> = {};
  for (const [binding, target] of Object.entries(options.serviceBindings ?? {})) {
    bindings[binding] = typeof target === "object" && target !== null && "name" in target && target.name === "ktsu-orchestrator" ? { name: runner } : target;
  }
  return { ...options, serviceBindings: bindings };
}

/**
 * One vitest project per runtime:
 * - unit: the compiler, CLI and other Node code;
 * - stack: Node tests against the real local stack (the code `ktsu start` runs);
 * - orchestrator: tests inside workerd with the orchestrator as the main Worker and the
 *   other three as auxiliary Workers, pre-bundled by `npm run build:workers` (pretest).
 */
// Wrangler code used by the tests must never try to reach the internet.
Object.assign(process.env, OFFLINE_ENV);

const report = process.env.KTSU_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "stack",
          environment: "node",
          include: ["test/stack/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Each file starts its own workerd; two cores cannot run several at once usefully.
          fileParallelism: false,
        },
      },
      {
        resolve: { alias: { "ktsu-project": dist("project", "bundle.js") } },
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: "./wrangler.orchestrator.jsonc" },
            miniflare: {
              bindings: { TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")) },
              workers: (["runtime", "gateway", "tools"] as const).map((w) => withOrchestratorAs(ORCHESTRATOR_TEST_RUNNER, localWorkerOptions(w, dist(w, "index.js")))),
            },
          })),
        ],
        test: {
          name: "orchestrator",
          include: ["test/workers/orchestrator/**/*.test.ts"],
          setupFiles: ["test/workers/orchestrator/setup.ts"],
        },
      },
    ],
  },
});
