// A plain `wrangler deploy --dry-run` at the repository root: the top-level
// wrangler.toml builds the orchestrator of the project in KTSU_PROJECT_DIR
// (default examples/hello), says the full deploy is `ktsu deploy`, and refuses
// a test fixture.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_ENV, REPO_ROOT } from "../../cli/src/stack/paths.ts";

let outdir: string;
beforeAll(async () => {
  outdir = await mkdtemp(path.join(tmpdir(), "ktsu-root-wrangler-"));
});
afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

function wranglerDryRun(projectDir: string | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...OFFLINE_ENV,
      PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    };
    delete env.KTSU_PROJECT_DIR;
    if (projectDir !== undefined) env.KTSU_PROJECT_DIR = projectDir;
    const child = spawn(path.join(REPO_ROOT, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c));
    child.stderr.on("data", (c: Buffer) => (output += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

describe("wrangler deploy --dry-run at the repository root", () => {
  it("builds examples/hello's orchestrator by default and names ktsu deploy for the full deploy", async () => {
    const r = await wranglerDryRun(undefined);
    expect(r.code).toBe(0);
    expect(r.output).toContain("examples/hello (KTSU_PROJECT_DIR)");
    expect(r.output).toContain("the full deploy of all four Workers (with names per project and environment) is `npx ktsu deploy`");
    const bundle = readFileSync(path.join(outdir, "index.js"), "utf8");
    expect(bundle).toContain("Greets someone by name."); // examples/hello's workflow
    expect(bundle).not.toContain("secret-pass-parent"); // a workflow of the test fixture
  });

  it("builds the project KTSU_PROJECT_DIR names", async () => {
    const r = await wranglerDryRun("examples/triage");
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(outdir, "index.js"), "utf8")).toContain("Classify a ticket (agent)");
  });

  it("refuses a test fixture, naming ktsu deploy", async () => {
    const r = await wranglerDryRun("test/fixtures/workerd-project");
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("refusing to build test/fixtures/workerd-project for a deploy: it is a test fixture");
    expect(r.output).toContain("`npx ktsu deploy`");
  });
});
