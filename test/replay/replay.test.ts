// `ktsu replay` on a copy of the triage example: a run recorded on a local stack (offline
// fake provider, a webhook receiver) is replayed from the recording; nothing changes until the
// copy does, and then exactly the changed step (and what depends on it) is reported.
import { spawn } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { OrchestratorClient } from "../../cli/src/client/orchestrator.ts";
import { REPO_ROOT, binPath } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakePlan, type FakeProvider } from "../fake-provider/server.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";
import { waitFor } from "../support/poll.ts";

let dir: string;
let project: string;
let started: StartedProject;
let fake: FakeProvider;
let sink: HttpSink;
let runId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ktsu-replay-test-"));
  project = path.join(dir, "triage");
  cpSync(path.join(REPO_ROOT, "examples", "triage"), project, { recursive: true });
  const plans = (JSON.parse(readFileSync(path.join(project, "fake-plan.json"), "utf8")) as { plans: FakePlan[] }).plans;
  fake = await startFakeProvider({ plans });
  sink = await startHttpSink();
  started = await startLocalProject({
    projectDir: project,
    stateDir: path.join(dir, "state"),
    port: 0,
    environment: { ...process.env, KTSU_FAKE_PROVIDER_URL: fake.url, EXAMPLE_WEBHOOK_URL: `${sink.url}/hook` },
  });
  const client = new OrchestratorClient(started.stack.url.href);
  ({ run_id: runId } = await client.invoke("triage", JSON.stringify({ ticket: "Checkout gives me a 500", customer: "ACME" })));
  await waitFor(async () => (await client.getRun(runId)).run.status === "complete", "the recorded run to complete", 120_000);
}, 300_000);

afterAll(async () => {
  await started?.stack.dispose();
  await fake?.close();
  await sink?.close();
  await rm(dir, { recursive: true, force: true });
});

function ktsu(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const orchestrator = args[0] === "replay" ? ["--orchestrator", started.stack.url.href.replace(/\/$/, "")] : [];
  const child = spawn(binPath("ktsu"), [...args, ...orchestrator], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...extraEnv, NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

/** The report's verdict per step: `{classify: "same", record: "changed", …}`. */
function verdicts(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}(\S+)\s+(same|changed)$/gm)].map((m) => [m[1]!, m[2]!]));
}

function edit(file: string, from: string, to: string): () => void {
  const full = path.join(project, file);
  const original = readFileSync(full, "utf8");
  expect(original).toContain(from);
  writeFileSync(full, original.replace(from, to));
  return () => writeFileSync(full, original);
}

describe("ktsu replay", () => {
  it("replays an unchanged project clean, without calling the provider or sending the webhook", async () => {
    const providerCalls = fake.calls.length;
    const hooks = sink.calls.length;
    const result = await ktsu(["replay", runId, "--project", project]);
    expect(result.stderr).toBe("");
    expect(verdicts(result.stdout)).toEqual({ classify: "same", record: "same", page_oncall: "same", file: "same", "file/entry": "same" });
    expect(result.stdout).toContain("nothing changed");
    expect(result.code).toBe(0);
    expect(fake.calls.length).toBe(providerCalls);
    expect(sink.calls.length).toBe(hooks);
  }, 300_000);

  it("reports exactly the changed transform", async () => {
    const restore = edit("workflows/triage.workflow.yaml", "urgent: urgency == 'high'", "urgent: urgency == 'low'");
    try {
      const result = await ktsu(["replay", runId, "--project", project]);
      expect(verdicts(result.stdout)).toEqual({ classify: "same", record: "changed", page_oncall: "same", file: "same", "file/entry": "same" });
      expect(result.stdout).toContain("urgent: expected true, got false");
      expect(result.code).toBe(1);
    } finally {
      restore();
    }
  }, 300_000);

  it("stops a step whose prompt changed there, and reports the steps after it", async () => {
    const restore = edit("agents/classifier.agent.yaml", "You triage support tickets.", "You triage support tickets politely.");
    try {
      const result = await ktsu(["replay", runId, "--project", project]);
      const v = verdicts(result.stdout);
      expect(v.classify).toBe("changed");
      expect(result.stdout).toMatch(
        /the prompt no longer matches the recording: system message 1 was "…\S* support tickets\. Classify[^"]*", is "…\S* support tickets politely\. /,
      );
      for (const step of ["record", "page_oncall", "file"]) expect(v[step]).toBe("changed");
      expect(result.code).toBe(1);
    } finally {
      restore();
    }
  }, 300_000);

  it("--live sends the LLM calls to the project's provider; the webhook is still not sent", async () => {
    const providerCalls = fake.calls.length;
    const hooks = sink.calls.length;
    const result = await ktsu(["replay", runId, "--project", project, "--live"], { KTSU_FAKE_PROVIDER_URL: fake.url });
    expect(result.stdout).toContain("nothing changed");
    expect(result.code).toBe(0);
    expect(fake.calls.length).toBe(providerCalls + 1);
    expect(sink.calls.length).toBe(hooks);
  }, 300_000);

  it("--save writes the recording as a test case", async () => {
    const file = path.join(project, "tests", "saved.test.yaml");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(path.dirname(file), { recursive: true });
    const result = await ktsu(["replay", runId, "--project", project, "--save", file]);
    expect(result.code).toBe(0);
    const saved = parseYaml(readFileSync(file, "utf8")) as { workflow: string; steps: { id: string }[]; assert: { expect: string }[] };
    expect(saved.workflow).toBe("triage");
    expect(saved.steps.map((s) => s.id)).toEqual(["classify", "record", "page_oncall", "file", "entry"]);
    expect(saved.assert.map((a) => a.expect)).toContain('steps."record"');
    // The saved case passes `ktsu test` (its conversations are compared turn by turn), beside the example's own case.
    const tested = await ktsu(["test", project]);
    expect(tested.stdout).toContain(`PASS  tests/saved.test.yaml  replay of ${runId}`);
    expect(tested.stdout).toContain("2 passed, 0 failed");
    expect(tested.code).toBe(0);
  }, 300_000);
});
