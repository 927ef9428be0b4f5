// `ktsu start --watch` as the real CLI on a copy of test/fixtures/cancel-project: an edited
// workflow is picked up while a run started before the edit (suspended at an approval) finishes
// on the workflow it started with, its sub-run too; a broken edit prints the validation report and leaves the
// last good version serving; `ktsu logs` reads what the stack noted.
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import type { ApprovalRecord, RunRecord, StepRecord } from "../../shared/contracts/records.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { waitFor } from "../support/poll.ts";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "cancel-project");
const CLI = path.join(REPO_ROOT, "cli", "bin", "ktsu.js");
const PROVIDER_KEY = "fake-key-watch-91d2";

const HEAD = `name: pinned
description: An agent step gated by an approval, another agent step, then (in the second version) a transform.
params:
  schema:
    type: object
    required: [label]
    properties:
      label: { type: string }
pipeline:
  - id: clean
    agent: agents/janitor.agent.yaml
    params:
      label: "{{ params.label }}"
  - id: think
    depends_on: [clean]
    agent: agents/thinker.agent.yaml
    params:
      label: "{{ params.label }}"
  - id: nest
    depends_on: [clean]
    workflow: ./nested.workflow.yaml
    params:
      label: "{{ params.label }}"
`;
/** The sub-workflow the `nest` step starts; the edit adds a step to it. */
const NESTED = `name: nested
visibility: sub-workflow
params:
  schema:
    type: object
    properties:
      label: { type: string }
pipeline:
  - id: deep
    agent: agents/thinker.agent.yaml
    params:
      label: "{{ params.label }}"
`;
const NESTED_EXTRA = `${NESTED}  - id: extra
    depends_on: [deep]
    transform:
      inputs: [{ from: deep }]
`;
const TAIL = `  - id: tail
    depends_on: [clean]
    transform:
      inputs: [{ from: clean }]
`;
const BROKEN = `${HEAD}  - id: tail
    depends_on: [nowhere]
    transform:
      inputs: [{ from: clean }]
`;

let fake: FakeProvider;
let dir: string;
let projectDir: string;
let stateDir: string;
let child: ChildProcess;
let stdout = "";
let stderr = "";
let url: string;

function ktsuLogs(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const logs = spawn(process.execPath, [CLI, "logs", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    logs.stdout.on("data", (c) => (out += c));
    logs.stderr.on("data", (c) => (err += c));
    logs.once("error", reject);
    logs.once("close", (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

beforeAll(async () => {
  fake = await startFakeProvider();
  dir = await mkdtemp(path.join(tmpdir(), "ktsu-watch-"));
  projectDir = path.join(dir, "project");
  stateDir = path.join(dir, "state");
  await cp(FIXTURE, projectDir, { recursive: true });
  await writeFile(path.join(projectDir, "workflows", "pinned.workflow.yaml"), HEAD);
  await writeFile(path.join(projectDir, "workflows", "nested.workflow.yaml"), NESTED);
  child = spawn(process.execPath, [CLI, "start", "--all", "--watch", "--project-dir", projectDir, "--state-dir", stateDir, "--port", "0"], {
    cwd: REPO_ROOT,
    env: { ...process.env, FAKE_PROVIDER_URL: fake.url, FAKE_API_KEY: PROVIDER_KEY, KTSU_ADMIN_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (c) => (stdout += c));
  child.stderr!.on("data", (c) => (stderr += c));
  await waitFor(() => /orchestrator listening on (\S+)/.test(stdout) || child.exitCode !== null, "the stack to start", 240_000, 100);
  const match = /orchestrator listening on (\S+)/.exec(stdout);
  if (!match) throw new Error(`ktsu start did not start:\n${stdout}\n${stderr}`);
  url = match[1]!;
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? {} : JSON.parse(text)) as Record<string, unknown> };
}

async function invoke(label: string): Promise<string> {
  const res = await api("POST", "/invoke/pinned", { label });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.run_id as string;
}

async function finished(runId: string): Promise<{ run: RunRecord; steps: StepRecord[] }> {
  const view = async () => (await api("GET", `/runs/${encodeURIComponent(runId)}`)).body as unknown as { run: RunRecord; steps: StepRecord[] };
  await waitFor(async () => ["complete", "failed"].includes((await view()).run.status), `run ${runId} to end`, 180_000, 200);
  return view();
}

const callsAbout = (label: string) => fake.calls.filter((c) => JSON.stringify(c.body).includes(`[${label}]`));

/** Edits the workflow and waits for the stack to say what it did with the edit (`marker` appears once more). */
async function edit(text: string, marker: string): Promise<void> {
  const before = stdout.split(marker).length + stderr.split(marker).length;
  await writeFile(path.join(projectDir, "workflows", "pinned.workflow.yaml"), text);
  await waitFor(() => stdout.split(marker).length + stderr.split(marker).length > before, `"${marker}" after the edit`, 240_000, 100);
}

describe("ktsu start --watch", () => {
  it("reloads an edited workflow while a run started before the edit finishes on the workflow it started with", async () => {
    fake.script({ tool_calls: [{ name: "delete", arguments: { key: "gone" } }] });
    const before = await invoke("before");
    const pending = async () => ((await api("GET", "/approvals")).body as unknown as ApprovalRecord[]).filter((a) => a.run_id === before);
    await waitFor(async () => (await pending()).length === 1, "the first run's approval to be pending", 180_000, 200);

    // The second step's agent changes in the same edit (one reload: the writes fall in one debounce window).
    const agentFile = path.join(projectDir, "agents", "thinker.agent.yaml");
    const agent = await readFile(agentFile, "utf8");
    await writeFile(agentFile, agent.replace("You think about", "EDITED, you think about"));
    await writeFile(path.join(projectDir, "workflows", "nested.workflow.yaml"), NESTED_EXTRA);
    await edit(HEAD + TAIL, "ktsu: reloaded:");

    const after = await invoke("after");
    const afterView = await finished(after);
    expect(afterView.run.status).toBe("complete");
    expect(afterView.steps.map((s) => s.id).sort()).toEqual(["clean", "nest", "tail", "think"]);
    expect(callsAbout("after").some((c) => JSON.stringify(c.body).includes("EDITED, you think about"))).toBe(true);
    expect((await finished(`${after}/nest`)).steps.map((s) => s.id).sort()).toEqual(["deep", "extra"]);

    const decided = await api("POST", `/runs/${before}/steps/clean/approval/decide`, { decision: "approved" });
    expect(decided.status, JSON.stringify(decided.body)).toBeLessThan(300);
    const beforeView = await finished(before);
    expect(beforeView.run.status, JSON.stringify(beforeView.run)).toBe("complete");
    expect(beforeView.steps.map((s) => s.id).sort()).toEqual(["clean", "nest", "think"]);
    // Its sub-run started after the reload, on the sub-workflow as it was when the parent started.
    expect((await finished(`${before}/nest`)).steps.map((s) => s.id)).toEqual(["deep"]);
    // Its agent steps (its own and its sub-run's) were dispatched after the reload, with the agent as it was when the run started.
    const thinking = callsAbout("before")
      .map((c) => JSON.stringify(c.body))
      .filter((b) => b.includes("think about"));
    expect(thinking.length).toBeGreaterThanOrEqual(2);
    expect(thinking.filter((b) => b.includes("EDITED,"))).toEqual([]);
  });

  it("a broken edit prints the validation report and leaves the last good version serving", async () => {
    await edit(BROKEN, "not reloaded");
    expect(stderr).toContain("ktsu: not reloaded: the project has validation errors; the last good version keeps running");
    expect(stdout).toContain("nowhere");

    const run = await finished(await invoke("still"));
    expect(run.run.status).toBe("complete");
    expect(run.steps.map((s) => s.id).sort()).toEqual(["clean", "nest", "tail", "think"]);

    await edit(HEAD, "ktsu: reloaded:");
    const back = await finished(await invoke("back"));
    expect(back.steps.map((s) => s.id).sort()).toEqual(["clean", "nest", "think"]);
  });

  it("ktsu logs prints the stack's log file, which holds the reloads and no secret", async () => {
    const logs = await ktsuLogs(["--project-dir", projectDir, "--state-dir", stateDir]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("ktsu: reloaded: ");
    // The Workers' own lines (what the terminal shows) are there too.
    expect(logs.stdout).toMatch(/^\S+Z log \{"message":"runtime: step finished"/m);
    expect(logs.stdout).toContain("ktsu: not reloaded: the project has validation errors");
    const file = await readFile(path.join(stateDir, "logs", "stack.log"), "utf8");
    expect(file).toBe(logs.stdout);
    expect(file).not.toContain(PROVIDER_KEY);
  });
});
