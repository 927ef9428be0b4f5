// The user-facing commands (ktsu invoke/runs/approvals/approve/reject), run as the real CLI
// against the real local stack on test/fixtures/cli-project (`ktsu deploy --dry-run`:
// test/deploy/dry-run.test.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../shared/contracts/records.ts";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";
import { type KtsuResult, runKtsu } from "../support/ktsu-cli.ts";
import { waitFor } from "../support/poll.ts";

const PROJECT = path.join(REPO_ROOT, "test", "fixtures", "cli-project");
const TOKEN = "sink-token-7f3a";
/** The orchestrator's KTSU_ADMIN_TOKEN: /runs*, events and approvals need it; ktsu reads it from its environment. */
const ADMIN = "admin-token-51c9";
const admin = { authorization: `Bearer ${ADMIN}` };

let started: StartedProject;
let sink: HttpSink;
let stateDir: string;
let url: string;

beforeAll(async () => {
  sink = await startHttpSink();
  // The webhook step takes a while, so `invoke --wait` follows it live.
  await fetch(`${sink.url}/__delay?path=/notify&ms=1200`, { method: "POST" });
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-cli-"));
  started = await startLocalProject({
    projectDir: PROJECT,
    stateDir,
    port: 0,
    environment: {
      SINK_URL: sink.url,
      SINK_TOKEN: TOKEN,
      INVOKE_SECRET: "open-sesame",
      KTSU_EGRESS_ALLOW: new URL(sink.url).host,
      KTSU_ADMIN_TOKEN: ADMIN,
      PROVIDER_API_KEY: "unused-provider-key",
    },
  });
  url = started.stack.url.href.replace(/\/$/, "");
});

afterAll(async () => {
  await started?.stack.dispose();
  await sink?.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Runs `ktsu …` against this stack's orchestrator's admin token (plain output: not a TTY). */
function ktsu(args: string[], env: Record<string, string> = {}): Promise<KtsuResult> {
  return runKtsu(args, { KTSU_ORCHESTRATOR_URL: "", KTSU_ADMIN_TOKEN: ADMIN, ...env });
}

async function allRuns(): Promise<RunRecord[]> {
  return ((await (await fetch(`${url}/runs?limit=1000`, { headers: admin })).json()) as { runs: RunRecord[] }).runs;
}

function runIdOf(stdout: string): string {
  const match = /^run_id: (run_[0-9a-f]{16})$/m.exec(stdout);
  if (!match) throw new Error(`no run_id line in:\n${stdout}`);
  return match[1]!;
}

/** The lines `invoke --wait` printed for the steps: [id, status, rest]. */
function stepLines(stdout: string): string[][] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("step "))
    .map((l) => l.split(/\s+/).slice(1));
}

describe("ktsu invoke", () => {
  it("--wait follows a completing run live: one line per step, then the final output; exit 0", async () => {
    const r = await ktsu(["invoke", "greet", "--input", '{"name":"Ada"}', "--wait", "--orchestrator", url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^run_id: run_[0-9a-f]{16}$/);
    expect(stepLines(r.stdout).map(([id, status]) => [id, status])).toEqual([
      ["notify", "complete"],
      ["receipt", "complete"],
      ["summary", "complete"],
    ]);
    // The webhook waited 1.2 s at the sink: its line shows that duration and the (zero) cost.
    const notify = stepLines(r.stdout)[0]!;
    expect(Number(notify[2]!.replace(/s$/, ""))).toBeGreaterThanOrEqual(1.2);
    expect(notify[3]).toBe("$0.000000");
    expect(r.stdout).toMatch(/^run complete in [\d.]+s \(3 steps, \$0\.000000\)$/m);
    const output = r.stdout.slice(r.stdout.indexOf("output (step summary):\n") + "output (step summary):\n".length);
    expect(JSON.parse(output)).toEqual({ result: [{ sent: true, status_code: 200 }] });
    // It really ran: the run is complete and the webhook reached the sink with the secret.
    const run = (await (await fetch(`${url}/runs/${runIdOf(r.stdout)}`, { headers: admin })).json()) as { run: RunRecord };
    expect(run.run.status).toBe("complete");
    expect(sink.calls.some((c) => c.path === "/notify" && JSON.parse(c.body).token === TOKEN && JSON.parse(c.body).name === "Ada")).toBe(true);
  });

  it("--wait on a failing run shows the failed step with its error and exits 1", async () => {
    const r = await ktsu(["invoke", "broken", "--wait", "--orchestrator", url]);
    expect(r.code).toBe(1);
    expect(stepLines(r.stdout).map(([id, status]) => [id, status])).toEqual([
      ["prepare", "complete"],
      ["explode", "failed"],
    ]);
    expect(r.stdout).toMatch(/^step explode +failed +\d+ms +\$0\.000000 +error: op sort: .*expected \[\]interface\{\}, got <nil>$/m);
    expect(r.stdout).toMatch(/^run failed in \d+ms \(2 steps, \$0\.000000\): op sort: .*expected \[\]interface\{\}, got <nil>$/m);
    expect(r.stdout).not.toContain("never");
  });

  it("--wait shows a step whose condition is false as skipped, and the run completes", async () => {
    const r = await ktsu(["invoke", "gated", "--input", '{"flag":false}', "--wait", "--orchestrator", url]);
    expect(r.code).toBe(0);
    expect(stepLines(r.stdout)).toEqual([
      ["first", "complete", expect.stringMatching(/^\d+ms$/), "$0.000000"],
      ["optional", "skipped", "-", "-"],
      ["last", "complete", expect.stringMatching(/^\d+ms$/), "$0.000000"],
    ]);
  });

  it("refuses a bad --input before sending anything (exit 2, no run created)", async () => {
    const before = (await allRuns()).length;
    const notJson = await ktsu(["invoke", "greet", "--input", '{"name": Ada}', "--orchestrator", url]);
    const notObject = await ktsu(["invoke", "greet", "--input", '["Ada"]', "--orchestrator", url]);
    expect(notJson.code).toBe(2);
    expect(notJson.stdout).toBe("");
    expect(notJson.stderr).toMatch(/^invoke: --input is not valid JSON \(.+\); pass a JSON object, e\.g\. --input '\{"name":"world"\}'\n$/);
    expect(notObject.code).toBe(2);
    expect(notObject.stderr).toBe(`invoke: --input must be a JSON object, not an array; e.g. --input '{"name":"world"}'\n`);
    expect((await allRuns()).length).toBe(before);
  });

  it("prints the orchestrator's refusals as `invoke: <message> (status N)`, and sends -H headers", async () => {
    const before = (await allRuns()).length;
    const missing = await ktsu(["invoke", "greet", "--orchestrator", url]);
    expect([missing.code, missing.stderr]).toEqual([1, 'invoke: input missing required field "name" (status 422)\n']);
    const hidden = await ktsu(["invoke", "hidden", "--orchestrator", url]);
    expect([hidden.code, hidden.stderr]).toEqual([1, "invoke: workflow not found: hidden (status 404)\n"]);
    const denied = await ktsu(["invoke", "secured", "--orchestrator", url]);
    expect([denied.code, denied.stderr]).toEqual([1, "invoke: unauthorized (status 401)\n"]);
    expect((await allRuns()).length).toBe(before);
    const allowed = await ktsu(["invoke", "secured", "-H", "Authorization: Bearer open-sesame"], { KTSU_ORCHESTRATOR_URL: url });
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^run_id: run_[0-9a-f]{16}\n$/);
  });
});

describe("ktsu enqueue", () => {
  it("queues a run through POST /enqueue: the queue consumer runs it; the same key and input name the same run", async () => {
    const key = `enqueue-${Date.now()}`;
    const r = await ktsu(["enqueue", "gated", "--input", '{"flag":true}', "--idempotency-key", key, "--orchestrator", url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const runId = runIdOf(r.stdout);
    expect(r.stdout).toContain("status: queued");
    expect(r.stdout).toContain(`idempotency_key: ${key}`);
    // The run exists only once the queue message is consumed: poll for it to finish.
    let status: string | undefined;
    await waitFor(
      async () => {
        const res = await fetch(`${url}/runs/${runId}`, { headers: admin });
        status = res.status === 200 ? ((await res.json()) as { run: RunRecord }).run.status : undefined;
        return status === "complete" || status === "failed";
      },
      "the enqueued run to end",
      120_000,
    );
    expect(status).toBe("complete");
    const again = await ktsu(["enqueue", "gated", "--input", '{"flag":true}', "--idempotency-key", key, "--orchestrator", url]);
    expect(runIdOf(again.stdout)).toBe(runId);
    expect((await allRuns()).filter((run) => run.id === runId)).toHaveLength(1);
  });

  it("refuses a bad --input before sending anything, and names the orchestrator's refusal", async () => {
    const bad = await ktsu(["enqueue", "gated", "--input", "[1]", "--orchestrator", url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^enqueue: --input/);
    const missing = await ktsu(["enqueue", "no-such-workflow", "--orchestrator", url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^enqueue: .*\(status 404\)$/m);
  });
});

describe("ktsu runs", () => {
  it("prints the table, newest first, and filters by workflow, status and limit", async () => {
    await ktsu(["invoke", "gated", "--wait", "--orchestrator", url]);
    const all = await ktsu(["runs", "--orchestrator", url]);
    expect(all.code).toBe(0);
    const [header, ...rows] = all.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^RUN ID {16}WORKFLOW {2}STATUS {4}STARTED {14}DURATION$/);
    const api = await allRuns();
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(api.map((run) => run.id));
    for (const row of rows) {
      const [, workflow, status, date, time, duration] = row.split(/\s+/);
      expect(["greet", "gated", "broken", "secured"]).toContain(workflow);
      expect(`${date} ${time}`).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(duration).toMatch(status === "complete" || status === "failed" ? /^\d+s$/ : /^-$/);
    }

    const gated = await ktsu(["runs", "--workflow", "gated", "--orchestrator", url]);
    const gatedRows = gated.stdout.trimEnd().split("\n").slice(1);
    expect(gatedRows.length).toBe(api.filter((r) => r.workflow_name === "gated").length);
    expect(gatedRows.every((row) => row.split(/\s+/)[1] === "gated")).toBe(true);

    const failed = await ktsu(["runs", "--status", "failed", "--orchestrator", url]);
    const failedRows = failed.stdout.trimEnd().split("\n").slice(1);
    expect(failedRows.length).toBeGreaterThan(0);
    expect(failedRows.every((row) => row.split(/\s+/)[1] === "broken" && row.split(/\s+/)[2] === "failed")).toBe(true);

    const one = await ktsu(["runs", "--limit", "1", "--orchestrator", url]);
    expect(one.stdout.trimEnd().split("\n").slice(1)).toEqual([rows[0]]);
  });

  it("runs get prints the envelope as indented JSON; a missing run is `runs get: run not found (status 404)`", async () => {
    const run = (await allRuns()).find((r) => r.workflow_name === "gated")!;
    const r = await ktsu(["runs", "get", run.id, "--orchestrator", url]);
    expect(r.code).toBe(0);
    const envelope = await (await fetch(`${url}/runs/${run.id}/envelope`, { headers: admin })).json();
    expect(r.stdout).toBe(`${JSON.stringify(envelope, null, 2)}\n`);
    expect(envelope).toMatchObject({ run_id: run.id, workflow: "gated", status: "complete" });

    const missing = await ktsu(["runs", "get", "run_0000000000000000", "--orchestrator", url]);
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([1, "", "runs get: run not found (status 404)\n"]);
  });
});

describe("the admin token", () => {
  it("without KTSU_ADMIN_TOKEN the guarded commands say what is missing; invoke itself needs none", async () => {
    const none = { KTSU_ADMIN_TOKEN: "" };
    const needs = "this route needs the admin token: Authorization: Bearer <KTSU_ADMIN_TOKEN> (status 401)\n";
    const runs = await ktsu(["runs", "--orchestrator", url], none);
    expect([runs.code, runs.stderr]).toEqual([1, `runs: ${needs}`]);
    const approvals = await ktsu(["approvals", "--orchestrator", url], none);
    expect([approvals.code, approvals.stderr]).toEqual([1, `approvals: ${needs}`]);
    const wrong = await ktsu(["runs", "get", "run_0000000000000000", "--orchestrator", url], { KTSU_ADMIN_TOKEN: "wrong" });
    expect([wrong.code, wrong.stderr]).toEqual([1, `runs get: ${needs}`]);
    // The run starts (invoke has the workflow's own auth); following its events is refused.
    const wait = await ktsu(["invoke", "gated", "--wait", "--orchestrator", url], none);
    expect(wait.stdout).toMatch(/^run_id: run_[0-9a-f]{16}\n$/);
    expect([wait.code, wait.stderr]).toEqual([1, `invoke: ${needs}`]);
  });

  it("--token is sent instead of KTSU_ADMIN_TOKEN, also after `runs` for `runs get`", async () => {
    const none = { KTSU_ADMIN_TOKEN: "" };
    const runs = await ktsu(["runs", "--orchestrator", url, "--token", ADMIN], none);
    expect(runs.code, runs.stderr).toBe(0);
    const approvals = await ktsu(["approvals", "--json", "--orchestrator", url, "--token", ADMIN], { KTSU_ADMIN_TOKEN: "wrong" });
    expect(approvals.code, approvals.stderr).toBe(0);
    const missing = await ktsu(["runs", "--token", ADMIN, "get", "run_0000000000000000", "--orchestrator", url], none);
    expect([missing.code, missing.stderr]).toEqual([1, "runs get: run not found (status 404)\n"]);
  });
});

describe("ktsu approvals, approve, reject", () => {
  it("approvals on an empty list says so (and --json prints [])", async () => {
    const r = await ktsu(["approvals", "--orchestrator", url]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "no pending approvals\n", ""]);
    const json = await ktsu(["approvals", "--json", "--orchestrator", url]);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it("approve and reject of an approval that does not exist give a clear 404 message and exit 1", async () => {
    const run = (await allRuns())[0]!;
    const approve = await ktsu(["approve", run.id, "notify", "--orchestrator", url]);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toBe(`approve: approval not found for step "notify" of run ${run.id} (status 404); ktsu approvals lists the pending ones\n`);
    const reject = await ktsu(["reject", "run_0000000000000000", "nope", "--orchestrator", url]);
    expect(reject.code).toBe(1);
    expect(reject.stderr).toBe(`reject: approval not found for step "nope" of run run_0000000000000000 (status 404); ktsu approvals lists the pending ones\n`);
  });
});
