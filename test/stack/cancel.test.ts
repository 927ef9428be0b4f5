// Cancelling runs on the real local stack (the four Workers, the fake provider at the network
// edge, an HTTP sink for webhooks): the LLM call in flight is aborted as far as the provider, the
// provider hears nothing more from the run, an unsent webhook is never sent, sub-runs end
// cancelled, pending approvals close, the event stream says so and ends, and a run that has
// ended answers 409.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import type { ApprovalRecord, RunRecord, StepRecord } from "../../shared/contracts/records.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";
import { waitFor } from "../support/poll.ts";

const PROJECT = path.join(REPO_ROOT, "test", "fixtures", "cancel-project");
const ADMIN = "admin-token-cancel-4e1d";

let started: StartedProject;
let fake: FakeProvider;
let sink: HttpSink;
let stateDir: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  sink = await startHttpSink();
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-cancel-"));
  started = await startLocalProject({
    projectDir: PROJECT,
    stateDir,
    port: 0,
    environment: {
      ...process.env,
      FAKE_PROVIDER_URL: fake.url,
      FAKE_API_KEY: "fake-key",
      SINK_URL: sink.url,
      KTSU_EGRESS_ALLOW: new URL(sink.url).host,
      KTSU_ADMIN_TOKEN: ADMIN,
    },
  });
});

afterAll(async () => {
  await started?.stack.dispose();
  await fake?.close();
  await sink?.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** A parsed JSON answer; the tests read fields they know the shape of. */
type Answer = { status: number; body: Record<string, unknown> & { run_id?: string } };

async function api(method: string, route: string, body?: unknown): Promise<Answer> {
  const res = await fetch(new URL(route, started.stack.url), {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

async function invoke(workflow: string, label: string | string[]): Promise<string> {
  const res = await api("POST", `/invoke/${workflow}`, Array.isArray(label) ? { labels: label } : { label });
  expect(res.status).toBe(202);
  return res.body.run_id!;
}

async function getRun(runId: string): Promise<{ run: RunRecord; steps: StepRecord[] | null }> {
  const res = await api("GET", `/runs/${encodeURIComponent(runId)}`);
  expect(res.status).toBe(200);
  return res.body as unknown as { run: RunRecord; steps: StepRecord[] | null };
}

async function waitForStatus(runId: string, status: string): Promise<{ run: RunRecord; steps: StepRecord[] | null }> {
  await waitFor(async () => (await getRun(runId)).run.status === status, `run ${runId} to be ${status}`, 120_000, 100);
  return getRun(runId);
}

/** The whole event stream of a run, read until the server ends it. */
async function followEvents(runId: string): Promise<string[]> {
  const res = await fetch(new URL(`/runs/${encodeURIComponent(runId)}/events`, started.stack.url), { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  return [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]!);
}

const callsAbout = (label: string) => fake.calls.filter((c) => JSON.stringify(c.body).includes(`[${label}]`));

describe("cancelling a run mid-agent-turn", () => {
  it("aborts the call in flight; the provider hears nothing more, the unsent webhook is never sent, the run and its stream end cancelled", async () => {
    fake.reset();
    // The turn hangs; anything after it (a retry, a next turn) would get an answer.
    fake.script({ hang: true }, { text: '{"thought": "late"}' }, { text: '{"thought": "late"}' });
    const runId = await invoke("turn", "mid");
    await waitFor(() => callsAbout("mid").length === 1, "the agent's LLM call to reach the provider", 120_000, 50);
    const events = followEvents(runId);

    const cancelled = await api("POST", `/runs/${runId}/cancel`);
    expect(cancelled).toEqual({ status: 200, body: { run_id: runId, status: "cancelled" } });

    // The provider sees the request it was answering go away.
    await waitFor(() => callsAbout("mid")[0]?.aborted === true, "the provider to see the call aborted", 60_000, 50);
    const view = await waitForStatus(runId, "cancelled");
    expect(view.run.error).toBe("cancelled by request");
    const think = view.steps!.find((s) => s.id === "think")!;
    expect(think).toMatchObject({ status: "failed", cancelled: { run_status: "cancelled" } });
    expect(view.steps!.find((s) => s.id === "notify")).toBeUndefined();
    // The stream says so and ends, as for any run that has ended.
    const types = await events;
    expect(types.at(-1)).toBe("run_cancelled");
    expect(types).toContain("step_cancelled");

    // A later run goes all the way to its webhook; the cancelled run's provider call and webhook never came.
    fake.script({ text: '{"thought": "done"}' });
    const control = await invoke("turn", "control");
    await waitForStatus(control, "complete");
    expect(sink.calls.map((c) => c.path)).toContain("/notify/control");
    expect(sink.calls.map((c) => c.path)).not.toContain("/notify/mid");
    expect(callsAbout("mid")).toHaveLength(1);

    // A run that has ended is a 409, in the API's error shape; so is a second cancel.
    expect(await api("POST", `/runs/${runId}/cancel`)).toEqual({ status: 409, body: { error: "conflict", message: "run already cancelled" } });
    expect(await api("POST", `/runs/${control}/cancel`)).toEqual({ status: 409, body: { error: "conflict", message: "run already ended (complete)" } });
    expect(await api("POST", "/runs/run_0000000000000000/cancel")).toEqual({ status: 404, body: { error: "not_found", message: "run not found" } });
    // The run stays as the cancel left it.
    expect((await getRun(control)).run.status).toBe("complete");
  });

  it("needs the admin token", async () => {
    const res = await fetch(new URL("/runs/run_0000000000000000/cancel", started.stack.url), { method: "POST" });
    expect(res.status).toBe(401);
  });
});

describe("what a cancelled run had started", () => {
  it("cancels its sub-runs: the sub-run's call in flight is aborted and the sub-run ends cancelled", async () => {
    fake.reset();
    fake.script({ hang: true }, { text: '{"thought": "late"}' });
    const runId = await invoke("parent", "sub");
    await waitFor(() => callsAbout("sub").length === 1, "the sub-run's LLM call to reach the provider", 120_000, 50);

    expect((await api("POST", `/runs/${runId}/cancel`)).status).toBe(200);
    await waitFor(() => callsAbout("sub")[0]?.aborted === true, "the provider to see the sub-run's call aborted", 60_000, 50);
    const child = await waitForStatus(`${runId}/call`, "cancelled");
    expect(child.run.error).toBe(`cancelled: the parent run ${runId} ended (cancelled)`);
    expect(child.steps!.find((s) => s.id === "inner")).toMatchObject({ status: "failed", cancelled: { run_status: "cancelled" } });
    expect((await getRun(runId)).run.status).toBe("cancelled");
    expect(callsAbout("sub")).toHaveLength(1);
  });

  it("stops every fanout item of a host, the one handed to it with an earlier item's result too", async () => {
    fake.reset();
    // Two items at a time, both in the step's one host (each#0): [fan-a] hangs; [fan-b] answers, and
    // the host takes the next item, [fan-c], with its result: it hangs there beside [fan-a].
    fake.plan(
      { match: "[fan-a]", in: "user", replies: [{ hang: true }] },
      { match: "[fan-b]", in: "user", replies: [{ text: "{}" }] },
      { match: "[fan-c]", in: "user", replies: [{ hang: true }] },
    );
    const runId = await invoke("spread", ["fan-a", "fan-b", "fan-c"]);
    await waitFor(() => callsAbout("fan-a").length === 1 && callsAbout("fan-c").length === 1, "items a and c to reach the provider", 120_000, 50);

    expect((await api("POST", `/runs/${runId}/cancel`)).status).toBe(200);
    await waitFor(() => callsAbout("fan-a")[0]?.aborted === true, "the provider to see item a's call aborted", 60_000, 50);
    await waitFor(() => callsAbout("fan-c")[0]?.aborted === true, "the provider to see item c's call aborted, in the host it was handed to", 60_000, 50);
    expect((await waitForStatus(runId, "cancelled")).run.error).toBe("cancelled by request");
    expect(callsAbout("fan-c")).toHaveLength(1);
  });

  it("closes its pending approval: it reads cancelled, leaves the pending list, and cannot be decided", async () => {
    fake.reset();
    fake.script({ tool_calls: [{ name: "delete", arguments: { key: "gone" } }] });
    const runId = await invoke("gated", "approve");
    const pending = async () => ((await api("GET", "/approvals")).body as unknown as ApprovalRecord[]).filter((a) => a.run_id === runId);
    await waitFor(async () => (await pending()).length === 1, "the approval to be pending", 120_000, 100);

    expect((await api("POST", `/runs/${runId}/cancel`)).status).toBe(200);
    await waitFor(async () => (await pending()).length === 0, "the approval to leave the pending list", 60_000, 100);
    const approval = (await api("GET", `/runs/${runId}/steps/clean/approval`)).body as unknown as ApprovalRecord;
    expect(approval).toMatchObject({ status: "cancelled", tool_name: "delete" });
    expect(typeof approval.decided_at).toBe("string");
    const decided = await api("POST", `/runs/${runId}/steps/clean/approval/decide`, { decision: "approved" });
    expect(decided.status).toBe(409);
    const view = await getRun(runId);
    expect(view.run.status).toBe("cancelled");
    expect(view.steps!.find((s) => s.id === "clean")).toMatchObject({ status: "failed", cancelled: { run_status: "cancelled" } });
  });
});
