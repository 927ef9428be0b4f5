import { defineConfig } from "vitest/config";
import { OFFLINE_ENV } from "./cli/src/stack/paths.ts";
import { GROUP } from "./test/support/project-order.ts";

// Wrangler code used by the tests must never try to reach the internet.
Object.assign(process.env, OFFLINE_ENV);

const report = process.env.KTSU_TEST_REPORT;

/**
 * One vitest project per runtime:
 * - unit: the compiler, CLI and other Node code;
 * - stack: Node tests against the real local stack (the code `ktsu start` runs);
 * - examples: every example run as its README says (`npm run test:examples`, not in `npm test`);
 * - replay: `ktsu replay` against recorded runs, each replay a stack of its own (`npm run test:replay`, not in `npm test`);
 * - deploy: `ktsu deploy` against a local Cloudflare API stand-in (`npm run test:deploy`, not in `npm test`);
 * - test/workers/<worker>/vitest.config.ts: tests inside workerd with that Worker as the
 *   main Worker and the others, pre-bundled by `npm run build:workers` (pretest), as auxiliaries.
 */
export default defineConfig({
  test: {
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          sequence: { groupOrder: GROUP.unit },
          // Several unit tests spawn the CLI (a Node process): on a busy machine that alone can
          // take longer than vitest's default 5 s. A bound for a stuck test, not a speed limit.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "stack",
          environment: "node",
          sequence: { groupOrder: GROUP.stack },
          include: ["test/stack/**/*.test.ts"],
          // Bounds for a stuck test, not speed limits: starting a stack (a build and workerd) on a
          // busy two-core machine, e.g. two clones running `npm test` at once, takes minutes.
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Each file starts its own workerd; two cores cannot run several at once usefully.
          fileParallelism: false,
          // Tests a file marks concurrent (each its own short-lived stack) run three at a time.
          maxConcurrency: 3,
        },
      },
      {
        test: {
          name: "examples",
          environment: "node",
          sequence: { groupOrder: GROUP.examples },
          include: ["test/examples/**/*.test.ts"],
          // Every example as its README runs it (`ktsu invoke --wait`, `ktsu approve`, the queue):
          // a stack per example, so `npm run test:examples` runs them; `npm test` runs each example's
          // pipeline test (test/stack/pipeline-tests.test.ts). Bounds, not speed limits.
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "replay",
          environment: "node",
          sequence: { groupOrder: GROUP.replay },
          include: ["test/replay/**/*.test.ts"],
          // Each replay starts a local stack of its own besides the one that recorded the run:
          // minutes in all, so `npm run test:replay` runs them, not `npm test`. Bounds, not speed limits.
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "deploy",
          environment: "node",
          sequence: { groupOrder: GROUP.deploy },
          include: ["test/deploy/**/*.test.ts"],
          // Each step runs ktsu, which runs wrangler a dozen times: minutes on a busy machine. Bounds, not speed limits.
          testTimeout: 600_000,
          hookTimeout: 60_000,
        },
      },
      "test/workers/*/vitest.config.ts",
      "test/reliability/vitest.config.ts",
    ],
  },
});
