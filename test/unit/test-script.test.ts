// `npm test` names the vitest projects it runs: vitest reads several `--project '!x'` as a union
// (each matches every other project), so an exclusion list ran the slow suites too. Naming them
// means a new project must be added here on purpose; this test says so when one is missing.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** Run by their own scripts (`npm run test:reliability`, `npm run test:deploy`, `npm run test:replay`, `npm run test:examples`, each a CI step). */
const OWN_SCRIPT = new Set(["reliability", "deploy", "replay", "examples"]);

function projectsOfTestScript(): string[] {
  const script = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.test ?? "";
  return [...script.matchAll(/--project\s+(\S+)/g)].map((m) => m[1]!);
}

/** Every vitest project: the ones named in vitest.config.ts and one per test/workers/<worker>/. */
function allProjects(): string[] {
  const config = readFileSync(path.join(ROOT, "vitest.config.ts"), "utf8");
  const named = [...config.matchAll(/name:\s*"([^"]+)"/g)].map((m) => m[1]!);
  const workers = readdirSync(path.join(ROOT, "test/workers"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== "support")
    .map((entry) => entry.name);
  return [...named, ...workers, "reliability"];
}

describe("npm test", () => {
  it("runs every vitest project except the ones with their own script, and those not", () => {
    const run = projectsOfTestScript();
    expect(run.every((name) => !name.startsWith("!"))).toBe(true);
    expect([...run].sort()).toEqual(
      allProjects()
        .filter((name) => !OWN_SCRIPT.has(name))
        .sort(),
    );
  });
});
