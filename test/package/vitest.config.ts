import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { OFFLINE_ENV } from "../../cli/src/stack/paths.ts";

// Wrangler code used by the tests must never try to reach the internet.
Object.assign(process.env, OFFLINE_ENV);

/**
 * The installed package, from an empty directory: `npm run test:package` (it packs
 * first). Kept out of `npm test`: installing the tarball alone takes half a minute.
 */
const report = process.env.KTSU_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    name: "package",
    root: path.dirname(fileURLToPath(import.meta.url)),
    environment: "node",
    include: ["*.test.ts"],
    // Bounds for a stuck install or start on a busy two-core machine, not speed limits.
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
