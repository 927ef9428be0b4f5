import { defineConfig } from "vitest/config";
import { GROUP } from "../support/project-order.ts";
import { OFFLINE_ENV } from "../../cli/src/stack/paths.ts";

// Wrangler code used by the tests must never try to reach the internet.
Object.assign(process.env, OFFLINE_ENV);

/**
 * The reliability suite (docs/reliability.md): crash and resume, lost runtimes, the
 * budget race, load, fuzzing, secrets, access control and egress, against the real
 * local stack. `*.long.test.ts` files run only with KTSU_RELIABILITY_LONG=1.
 */
const long = process.env.KTSU_RELIABILITY_LONG === "1";

export default defineConfig({
  test: {
    name: "reliability",
    sequence: { groupOrder: GROUP.reliability },
    root: import.meta.dirname,
    environment: "node",
    include: long ? ["**/*.test.ts"] : ["**/*.test.ts"],
    exclude: long ? ["**/node_modules/**"] : ["**/node_modules/**", "**/*.long.test.ts"],
    // Bounds for a stuck test, not speed limits: on a busy two-core machine (two clones running
    // `npm test` at once) starting a stack or draining a load takes several times longer than idle.
    testTimeout: long ? 900_000 : 300_000,
    hookTimeout: 300_000,
    // Each file runs its own workerd (or two); two cores cannot run several at once usefully.
    fileParallelism: false,
  },
});
