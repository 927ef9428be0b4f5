// `ktsu test` on every example that ships a pipeline test (they pass), on a project fresh from
// `ktsu init` (its test passes without any provider key), and on a copy of the triage example
// whose assertion no longer holds (it fails, exit 1, with a readable diff).
import { spawn } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, binPath } from "../../cli/src/stack/paths.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ktsu-pipeline-tests-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ktsu(args: string[], env: Record<string, string | undefined> = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(binPath("ktsu"), args, { cwd: REPO_ROOT, env: { ...env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

const examples = readdirSync(path.join(REPO_ROOT, "examples")).filter((name) => {
  try {
    return readdirSync(path.join(REPO_ROOT, "examples", name, "tests")).length > 0;
  } catch {
    return false;
  }
});

describe("ktsu test", () => {
  it("every example ships a pipeline test", () => {
    expect(examples.sort()).toEqual(["approval", "fanout", "hello", "kv-notes", "queue", "triage"]);
  });

  // Each `ktsu test` starts a stack of its own and spends part of that waiting on files and
  // processes: a few at once finish sooner than one after another (the project's maxConcurrency).
  it.concurrent.each(examples)(
    "passes on examples/%s",
    async (name) => {
      const result = await ktsu(["test", path.join("examples", name)]);
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/^PASS {2}tests\//m);
      expect(result.stdout).toContain("1 passed, 0 failed");
      expect(result.code).toBe(0);
    },
    300_000,
  );

  it.concurrent("passes on a project fresh from ktsu init, without a provider key", async () => {
    const project = path.join(dir, "fresh");
    expect((await ktsu(["init", project])).code).toBe(0);
    const { ANTHROPIC_API_KEY: _unused, ...env } = process.env;
    const result = await ktsu(["test", project], env);
    expect(result.stdout).toContain("PASS  tests/hello.test.yaml  greets by name");
    expect(result.code).toBe(0);
  }, 300_000);

  it.concurrent("fails with a readable diff when an assertion breaks", async () => {
    const project = path.join(dir, "triage");
    cpSync(path.join(REPO_ROOT, "examples", "triage"), project, { recursive: true });
    const workflow = path.join(project, "workflows", "triage.workflow.yaml");
    writeFileSync(workflow, readFileSync(workflow, "utf8").replace("urgent: urgency == 'high'", "urgent: urgency == 'low'"));
    const result = await ktsu(["test", project]);
    expect(result.stdout).toContain("FAIL  tests/urgent-bug.test.yaml  an urgent bug pages on-call and is filed");
    expect(result.stdout).toContain("assert[1] steps.record.result[0] is not as expected:");
    expect(result.stdout).toContain("urgent: expected true, got false");
    expect(result.stdout).toContain("0 passed, 1 failed");
    expect(result.code).toBe(1);
  }, 300_000);
});
