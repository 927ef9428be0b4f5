// `ktsu replay` of runs with MCP tool calls (kv-notes: the kv server's results come from the
// recorded conversation) and with a fanout (research: each item's LLM call by its item id).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OrchestratorClient } from "../../cli/src/client/orchestrator.ts";
import { REPO_ROOT, binPath } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakePlan, type FakeProvider } from "../fake-provider/server.ts";
import { waitFor } from "../support/poll.ts";

let running: { started: StartedProject; fake: FakeProvider; dir: string } | undefined;

afterEach(async () => {
  await running?.started.stack.dispose();
  await running?.fake.close();
  if (running) await rm(running.dir, { recursive: true, force: true });
  running = undefined;
});

/** Records one run of an example on a local stack with the offline fake provider; returns its id and the orchestrator URL. */
async function recordRun(example: string, workflow: string, input: Record<string, unknown>): Promise<{ runId: string; url: string }> {
  const planFile = path.join(REPO_ROOT, "examples", example, "fake-plan.json");
  const plans = existsSync(planFile) ? (JSON.parse(readFileSync(planFile, "utf8")) as { plans: FakePlan[] }).plans : [];
  const fake = await startFakeProvider({ plans });
  const dir = await mkdtemp(path.join(tmpdir(), `ktsu-replay-${example}-`));
  const started = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "examples", example),
    stateDir: dir,
    port: 0,
    environment: { ...process.env, KTSU_FAKE_PROVIDER_URL: fake.url },
  });
  running = { started, fake, dir };
  const client = new OrchestratorClient(started.stack.url.href);
  const { run_id } = await client.invoke(workflow, JSON.stringify(input));
  await waitFor(async () => (await client.getRun(run_id)).run.status === "complete", "the recorded run to complete", 120_000);
  return { runId: run_id, url: started.stack.url.href.replace(/\/$/, "") };
}

function replay(runId: string, example: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(binPath("ktsu"), ["replay", runId, "--project", path.join("examples", example), "--orchestrator", url], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("ktsu replay with tools and fanouts", () => {
  it("answers the kv server's tool calls from the recorded conversation", async () => {
    const { runId, url } = await recordRun("kv-notes", "remember", { topic: "coffee", fact: "Ethiopian, light roast" });
    const calls = running!.fake.calls.length;
    const result = await replay(runId, "kv-notes", url);
    expect(result.stdout).toMatch(/^ {2}note\s+same$/m);
    expect(result.stdout).toContain("nothing changed");
    expect(result.code).toBe(0);
    expect(running!.fake.calls.length).toBe(calls);
  }, 300_000);

  it("answers each fanout item's LLM call by its item id", async () => {
    const { runId, url } = await recordRun("fanout", "research", { topics: ["tides", "rainbows", "tides"] });
    const result = await replay(runId, "fanout", url);
    expect(result.stdout).toContain("nothing changed");
    expect(result.code).toBe(0);
  }, 300_000);
});
