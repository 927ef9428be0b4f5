import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { OFFLINE_ENV } from "../../cli/src/stack/paths.ts";

// Wrangler code used by the tests must never try to reach the internet.
Object.assign(process.env, OFFLINE_ENV);

/**
 * Browser tests of the web run viewer: `npm run test:e2e`. Kept out of `npm test`'s
 * projects (they need Debian's chromium); adding this file to the root config's
 * `projects` list would run them there too.
 */
const report = process.env.KTSU_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    name: "e2e",
    root: path.dirname(fileURLToPath(import.meta.url)),
    environment: "node",
    include: ["*.test.ts"],
    // Bounds for a stuck test (its waits allow 60 s each), not speed limits.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
