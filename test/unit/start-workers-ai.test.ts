// Workers AI has no local simulation: `ktsu start` refuses a gateway.yaml with a workers_ai
// provider before starting anything, naming the provider and where it does run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkWorkersAi, WorkersAiOfflineError } from "../../cli/src/stack/provider-vars.ts";
import type { CompiledGateway } from "../../shared/config/types.ts";

const root = resolve(import.meta.dirname, "../..");
const bin = resolve(root, "node_modules/.bin");
const stateDir = mkdtempSync(join(tmpdir(), "ktsu-workers-ai-"));

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const gateway: CompiledGateway = {
  path: "gateway.yaml",
  env: [],
  providers: [
    { name: "cf", type: "workers_ai", config: {} },
    { name: "local", type: "openai", config: { base_url: "http://127.0.0.1:11434/v1", api_key: "k" } },
  ],
  model_groups: [],
};

describe("checkWorkersAi", () => {
  it("refuses a Workers AI provider without a local stand-in, naming it; a stand-in or no Workers AI passes", () => {
    expect(() => checkWorkersAi(gateway, false)).toThrow(WorkersAiOfflineError);
    expect(() => checkWorkersAi(gateway, false)).toThrow(/provider "cf" \(type workers_ai\).*no local simulation.*ktsu deploy/);
    expect(() => checkWorkersAi(gateway, true)).not.toThrow();
    expect(() => checkWorkersAi({ ...gateway, providers: gateway.providers.slice(1) }, false)).not.toThrow();
    expect(() => checkWorkersAi(null, false)).not.toThrow();
  });
});

describe("ktsu start --all", () => {
  it("exits 1 before starting anything when gateway.yaml uses Workers AI", () => {
    const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, KTSU_PROJECT_DIR: "" };
    const project = resolve(root, "examples/hello");
    const run = spawnSync(
      join(bin, "ktsu"),
      ["start", "--all", "--project-dir", project, "--gateway-config", join(project, "gateway.workers-ai.yaml"), "--state-dir", stateDir, "--port", "0"],
      // A bound for a start that wrongly succeeds (it would serve until stopped), not a speed limit.
      { cwd: root, encoding: "utf8", env, timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain('provider "workers-ai" (type workers_ai)');
    expect(run.stderr).toContain("no local simulation");
    expect(run.stderr).toContain("ktsu deploy");
    expect(run.stderr).toContain("nothing was started");
    expect(run.stdout).not.toContain("listening");
  });
});
