import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const biome = path.join(root, "node_modules", ".bin", "biome");
const scratch = mkdtempSync(path.join(tmpdir(), "ktsu-lint-"));
copyFileSync(path.join(root, "biome.json"), path.join(scratch, "biome.json"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Lints `source` as the file at `file` under the project's biome.json (its overrides pick the rules by path). */
function lint(file: string, source: string): { ok: boolean; output: string } {
  const target = path.join(scratch, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, source);
  const result = spawnSync(biome, ["lint", "--vcs-enabled=false", "--max-diagnostics=5", file], { cwd: scratch, encoding: "utf8" });
  rmSync(target);
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

const GLOBAL_CALL = "export async function get(url: string): Promise<Response> {\n  return fetch(url);\n}\n";
const BINDING_CALL = "export async function get(env: { GATEWAY: Fetcher }, url: string): Promise<Response> {\n  return env.GATEWAY.fetch(url);\n}\n";

// Only the gateway may reach the internet; the lint rule (biome.json, noRestrictedGlobals) holds that in code.
describe("the egress lint rule", () => {
  for (const file of ["workers/orchestrator/src/x.ts", "workers/runtime/src/x.ts", "workers/tools/src/x.ts", "shared/x.ts"]) {
    it(`refuses the global fetch in ${file}`, () => {
      const result = lint(file, GLOBAL_CALL);
      expect(result.ok).toBe(false);
      expect(result.output).toContain("Only the gateway Worker reaches the internet");
    });
  }

  it("allows a service binding's fetch", () => {
    expect(lint("workers/runtime/src/x.ts", BINDING_CALL)).toMatchObject({ ok: true });
  });

  it("allows the gateway to fetch out", () => {
    expect(lint("workers/gateway/src/x.ts", GLOBAL_CALL)).toMatchObject({ ok: true });
  });
});
