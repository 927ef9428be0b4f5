// `ktsu start` fails at start-up, naming them, when the gateway's providers need variables
// that are unset (the original fails at boot too), instead of at the first LLM call.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkProviderVars, ProviderSettingError } from "../../cli/src/stack/provider-vars.ts";
import type { CompiledGateway } from "../../shared/config/types.ts";

const root = resolve(import.meta.dirname, "../..");
const bin = resolve(root, "node_modules/.bin");
const stateDir = mkdtempSync(join(tmpdir(), "ktsu-provider-vars-"));

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const anthropic: CompiledGateway = {
  path: "gateway.yaml",
  env: [
    { name: "ANTHROPIC_API_KEY", secret: true },
    { name: "REGION", secret: false, default: "eu" },
  ],
  providers: [{ name: "anthropic", type: "anthropic", config: { api_key: "{{ env.ANTHROPIC_API_KEY }}" } }],
  model_groups: [],
};

function problemsOf(gateway: CompiledGateway, vars: Record<string, string>): string[] {
  try {
    checkProviderVars(gateway, vars);
    return [];
  } catch (err) {
    if (err instanceof ProviderSettingError) return err.problems;
    throw err;
  }
}

describe("checkProviderVars", () => {
  it("names each declared variable a provider needs that is unset; a default counts as set", () => {
    expect(problemsOf(anthropic, {})).toEqual(['resolve env: env var "ANTHROPIC_API_KEY" is required but not set']);
    expect(problemsOf(anthropic, { ANTHROPIC_API_KEY: "sk-test" })).toEqual([]);
  });

  it("an empty api key is refused as the gateway would; no gateway.yaml has nothing to check", () => {
    expect(problemsOf(anthropic, { ANTHROPIC_API_KEY: "" })).toEqual(['build providers: provider "anthropic": missing api_key']);
    expect(() => checkProviderVars(null, {})).not.toThrow();
  });
});

describe("ktsu start --all", () => {
  it("exits 1 before starting anything when gateway.yaml needs an unset variable, naming it", () => {
    const env: Record<string, string | undefined> = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, KTSU_PROJECT_DIR: "" };
    delete env.ANTHROPIC_API_KEY;
    const project = resolve(root, "examples/hello");
    const run = spawnSync(
      join(bin, "ktsu"),
      ["start", "--all", "--project-dir", project, "--gateway-config", join(project, "gateway.anthropic.yaml"), "--state-dir", stateDir, "--port", "0"],
      // A bound for a start that wrongly succeeds (it would serve until stopped), not a speed limit.
      { cwd: root, encoding: "utf8", env, timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain('env var "ANTHROPIC_API_KEY" is required but not set');
    expect(run.stderr).toContain("nothing was started");
    expect(run.stdout).not.toContain("listening");
  });
});
