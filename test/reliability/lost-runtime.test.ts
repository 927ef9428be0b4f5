// Scenario 2, lost runtime: a runtime that stops heartbeating (its beat interval set to
// an hour, its provider call hanging) must fail its step once the heartbeat timeout
// passed (after the one re-dispatch a step lost before its first checkpoint gets), fail
// the run fast and leave nothing `running`. Then the cron sweep: a run
// whose alarm was lost is found and re-armed by the scheduled handler.
// Scenario 8 (part): an MCP server and a webhook target that are not in the gateway's
// egress allowlist are refused on the runtime's and orchestrator's real code paths.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../cli/src/stack/stack.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";
import { dropAlarm, readAlarm } from "./support/alarms.ts";
import { Api, pollUntil } from "./support/api.ts";
import { report } from "./support/figures.ts";
import { startLyingMcp, type LyingMcp } from "./support/lying-mcp.ts";
import { makeProject } from "./support/project.ts";
import { SECRETS } from "./support/secrets.ts";
import { startWithVars } from "./support/stacks.ts";

/**
 * Long enough that the cron-sweep test can stop the stack before a step's deadline passes even
 * on a busy machine, short enough to keep the file quick.
 */
const HEARTBEAT_TIMEOUT_MS = 10_000;
const TIMED_OUT = `timed out: no heartbeat from the runtime for ${HEARTBEAT_TIMEOUT_MS / 1000}s`;
/** How long a run may take to end: a bound for a stuck run, generous for a busy machine. */
const RUN_WAIT_MS = 120_000;

let fake: FakeProvider;
let sink: HttpSink;
let liar: LyingMcp;
let projectDir: string;
let stateDir: string;
let stack: LocalStack;
let api: Api;
let environment: Record<string, string | undefined>;

async function start(): Promise<void> {
  stack = await startWithVars({
    projectDir,
    stateDir,
    environment,
    // The runtime beats once when a step starts, then not for an hour: it goes silent.
    vars: { runtime: { KTSU_HEARTBEAT_INTERVAL_MS: "3600000" } },
    // Neither the lying MCP server (named in the YAML) nor the sink (SINK_URL) is let through.
    allow: (hosts) => hosts.filter((h) => h !== new URL(liar.url).host && h !== new URL(sink.url).host),
  });
  api = new Api(stack.url, SECRETS.adminToken);
}

beforeAll(async () => {
  fake = await startFakeProvider();
  sink = await startHttpSink();
  liar = await startLyingMcp();
  projectDir = await makeProject({ liarUrl: liar.url });
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-rel-lost-"));
  environment = {
    ...process.env,
    FAKE_PROVIDER_URL: fake.url,
    FAKE_API_KEY: SECRETS.providerKey,
    SINK_URL: sink.url,
    KTSU_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
    KTSU_ADMIN_TOKEN: SECRETS.adminToken,
  };
  await start();
});

afterAll(async () => {
  await stack?.dispose();
  await fake?.close();
  await sink?.close();
  await liar?.close();
  await rm(stateDir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
});

/** Every LLM call of the `lost` workflow's agent hangs, however often its steps are dispatched. */
function hangEveryCall(): void {
  fake.reset();
  fake.plan({ match: "You answer in one line.", replies: [{ hang: true }] });
}

describe("a runtime that stops heartbeating", () => {
  it("fails its step once the heartbeat timeout passed; the run fails fast and nothing stays running", async () => {
    hangEveryCall();
    const t0 = Date.now();
    const runId = await api.invoke("lost", {});
    const done = await api.waitForRun(runId, RUN_WAIT_MS, 50);
    const failedAfterMs = Date.now() - t0;
    expect(done.run.status).toBe("failed");
    const steps = new Map(done.steps!.map((s) => [s.id, s]));
    const failed = [...steps.values()].filter((s) => s.error?.includes(TIMED_OUT));
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(done.run.error).toBe(`agent step "${failed[0]!.id}" ${TIMED_OUT}`);
    // Not before the timeout. (That the alarm is set for the deadline itself, not the later
    // watchdog, is checked without a clock in test/workers/orchestrator/execution.test.ts.)
    for (const step of failed) expect(Date.parse(step.ended_at!) - Date.parse(step.started_at!)).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_MS - 100);
    // A step lost before its first checkpoint ran no tool: it was dispatched once more, from the start, before it failed.
    const redispatched = (await api.events(runId)).filter((e) => e.type === "step_redispatched");
    expect(redispatched.map((e) => e.data)).toContainEqual({ from_turn: 0, attempt: 2 });
    // Fail-fast: the sibling is failed too (timed out or cancelled), the dependent never started.
    for (const id of ["work", "other"]) expect(steps.get(id)!.status).toBe("failed");
    expect(steps.get("after")?.status ?? "pending").toBe("pending");
    const running = await api.json<{ runs: Array<{ id: string }> }>("GET", "/runs?status=running&limit=1000");
    expect(running.body.runs.map((r) => r.id)).not.toContain(runId);
    expect((await api.events(runId)).at(-1)!.type).toBe("run_failed");
    report("lost-runtime", { "heartbeat timeout (s)": HEARTBEAT_TIMEOUT_MS / 1000, "invoke → run failed (s)": failedAfterMs / 1000 });
  });
});

/**
 * Starts a run that hangs like the lost one and waits until its heartbeat timeout fails it: proof
 * that alarms fire and that a deadline set before it has passed, without guessing a sleep.
 */
async function witnessTimeout(): Promise<void> {
  const witness = await api.waitForRun(await api.invoke("lost", {}), RUN_WAIT_MS, 50);
  expect(witness.run.error).toContain(TIMED_OUT);
}

describe("the cron sweep", () => {
  it("finds a running run whose alarm was lost and re-arms it, and the run then ends", async () => {
    hangEveryCall();
    const runId = await api.invoke("lost", {});
    // Both steps are dispatched; stop the stack before their heartbeat deadline passes.
    await pollUntil(() => fake.calls.length >= 2, RUN_WAIT_MS, 20);
    expect(fake.calls.length).toBe(2);
    await stack.dispose();
    try {
      expect(readAlarm(stateDir, runId)).toEqual({ object: true, scheduler: true });
      dropAlarm(stateDir, runId);
      expect(readAlarm(stateDir, runId)).toEqual({ object: false, scheduler: false });
    } finally {
      await start();
    }

    // Nothing wakes the run: once a later run's heartbeat deadline has passed (and failed it), it is still running.
    await witnessTimeout();
    expect((await api.run(runId)).run.status).toBe("running");

    const orchestrator = await stack.worker("orchestrator");
    // A run that changed less than two minutes ago is not stale yet: the sweep leaves it alone.
    await orchestrator.scheduled({ cron: "*/5 * * * *" });
    // An alarm the sweep had set would fire at once; a later run's whole timeout is ample proof it did not.
    await witnessTimeout();
    expect((await api.run(runId)).run.status).toBe("running");

    // Two minutes later (the D1 mirror's clock moved back), the sweep re-arms the alarm.
    const db = await stack.miniflare.getD1Database("DB", "ktsu-orchestrator");
    const old = new Date(Date.now() - 3 * 60_000).toISOString();
    await db.prepare("UPDATE runs SET updated_at = ? WHERE id = ?").bind(old, runId).run();
    const t0 = Date.now();
    const outcome = await orchestrator.scheduled({ cron: "*/5 * * * *" });
    expect(outcome.outcome).toBe("ok");
    const done = await api.waitForRun(runId, RUN_WAIT_MS, 50);
    const sweptMs = Date.now() - t0;
    expect(done.run.status).toBe("failed");
    expect(done.run.error).toContain(TIMED_OUT);
    expect(done.steps!.some((s) => s.status === "running")).toBe(false);
    report("cron sweep", { "sweep → lost-alarm run ended (s)": sweptMs / 1000 });
  });
});

describe("egress outside the allowlist, from the real code paths", () => {
  it("an MCP server the allowlist does not name is refused by the gateway and never contacted", async () => {
    fake.reset();
    const before = liar.requests.length;
    const runId = await api.invoke("liar", { case: "denied" });
    const done = await api.waitForRun(runId, RUN_WAIT_MS);
    expect(done.run.status).toBe("failed");
    const step = done.steps!.find((s) => s.id === "use")!;
    expect(step.error).toContain("discover tools from liar");
    // The gateway's refusal, as the MCP transport reports it.
    expect(step.error).toContain('"error":"egress_denied"');
    expect(step.error).toContain(`host \\"${new URL(liar.url).host}\\" is not in the egress allowlist`);
    expect(liar.requests.length).toBe(before);
    expect(fake.calls).toHaveLength(0); // discovery failed before the first LLM call
  });

  it("a webhook target the allowlist does not name is refused and never contacted", async () => {
    const before = sink.calls.length;
    const runId = await api.invoke("hook", {});
    const done = await api.waitForRun(runId, RUN_WAIT_MS);
    expect(done.run.status).toBe("failed");
    expect(done.run.error).toBe(`webhook POST ${sink.url}/plain: host "${new URL(sink.url).host}" is not in the egress allowlist`);
    expect(sink.calls.length).toBe(before);
  });
});
