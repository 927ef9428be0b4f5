import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => path.join(e.parentPath, e.name));
}

/** A call of the global `fetch` (not `binding.fetch(...)` and not a method named fetch). */
const GLOBAL_FETCH = /(?<![.\w])fetch\s*\(/;

describe("egress in code", () => {
  // Only the gateway may call the global fetch; everyone else talks over service bindings.
  for (const worker of ["orchestrator", "runtime", "tools"]) {
    it(`the ${worker} Worker never calls the global fetch`, async () => {
      const offenders: string[] = [];
      for (const file of await sourceFiles(path.join(root, "workers", worker, "src"))) {
        const lines = (await readFile(file, "utf8")).split("\n");
        lines.forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, "");
          // A method named fetch (`fetch(req) {`, `override async fetch(`) is a definition, not a call.
          if (GLOBAL_FETCH.test(code) && !/^\s*(override\s+)?(async\s+)?fetch\s*\(/.test(code)) {
            offenders.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
          }
        });
      }
      expect(offenders).toEqual([]);
    });
  }

  it("the scan itself detects a global fetch", () => {
    expect(GLOBAL_FETCH.test("const r = await fetch(url);")).toBe(true);
    expect(GLOBAL_FETCH.test("const r = await env.GATEWAY.fetch(url);")).toBe(false);
  });
});
