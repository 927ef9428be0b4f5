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
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
