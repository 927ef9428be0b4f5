// Scenario 1, crash and resume: `ktsu start` runs as its own process; mid-run, while a
// webhook and a checkpointed agent step are both in flight, the Node process and its
// workerd child are SIGKILLed by PID. A new `ktsu start` on the same state dir must
// finish the run with every step output intact, without re-running finished work.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";
import { Api, sleep } from "./support/api.ts";
import { report } from "./support/figures.ts";
import { makeProject } from "./support/project.ts";
import { SECRETS, findSecrets, scanFiles } from "./support/secrets.ts";
import { startChild, type ChildStack } from "./support/stacks.ts";

const HEARTBEAT_TIMEOUT_MS = 8000;

let fake: FakeProvider;
let sink: HttpSink;
let projectDir: string;
let stateDir: string;
const children: ChildStack[] = [];

function callsFor(label: string) {
  return fake.calls.filter((c) => JSON.stringify(c.body).includes(`[${label}]`));
}

beforeAll(async () => {
  fake = await startFakeProvider();
  sink = await startHttpSink();
  projectDir = await makeProject({ liarUrl: "http://127.0.0.1:9" });
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-rel-crash-"));
});

afterAll(async () => {
  for (const child of children) await child.stop().catch(() => {});
  await fake?.close();
  await sink?.close();
  await rm(stateDir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
});

describe("crash and resume (ktsu start killed with SIGKILL mid-run)", () => {
  it("finishes the run after a restart on the same state dir, re-running nothing that had finished", async () => {
    const environment = {
      ...process.env,
      FAKE_PROVIDER_URL: fake.url,
      FAKE_API_KEY: SECRETS.providerKey,
      SINK_URL: sink.url,
      KTSU_EGRESS_ALLOW: new URL(sink.url).host,
      KTSU_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
      KTSU_ADMIN_TOKEN: SECRETS.adminToken,
    };
    const t0 = Date.now();
    const first = await startChild({ projectDir, stateDir, environment });
    children.push(first);
    const startMs = Date.now() - t0;
    const api = new Api(first.url, SECRETS.adminToken);

    // Provider replies in call order: first (slow), second's tool call, second's slow final turn.
    fake.script(
      { delay_ms: 300 },
      { tool_calls: [{ name: "increment", arguments: { key: "crash-counter" } }], usage: { input_tokens: 50, output_tokens: 10 } },
      { delay_ms: 60_000 },
    );
    await fetch(`${sink.url}/__delay?path=/hook&ms=60000`, { method: "POST" });
    const runId = await api.invoke("crash", { topic: "durability" });

    // Kill once the webhook is at the receiver and `second` waits for its second LLM turn.
    const deadline = Date.now() + 120_000; // a bound for a run that never gets there, generous for a busy machine
    while (!(sink.calls.some((c) => c.path === "/hook") && callsFor("second").length >= 2)) {
      if (Date.now() > deadline) throw new Error(`never reached the kill point: sink ${sink.calls.length}, provider ${fake.calls.length}\n${first.output()}`);
      await sleep(25);
    }
    const before = await api.run(runId);
    expect(before.run.status).toBe("running");
    expect(before.steps!.find((s) => s.id === "first")!.status).toBe("complete");
    const firstOutput = before.steps!.find((s) => s.id === "first")!.output;
    const killedAt = Date.now();
    await first.kill9();
    expect(first.output()).not.toContain("ktsu: stopping"); // no graceful shutdown happened

    // The receiver answers at once from now on; the provider uses its default replies.
    await fetch(`${sink.url}/__delay?path=/hook&ms=0`, { method: "POST" });
    const restartT0 = Date.now();
    const second = await startChild({ projectDir, stateDir, environment });
    children.push(second);
    const restartMs = Date.now() - restartT0;
    api.base = new URL(second.url);
    const done = await api.waitForRun(runId, 120_000);
    const resumedMs = Date.now() - killedAt;

    // Every step completed, with its output.
    expect(done.run.status).toBe("complete");
    const step = (id: string) => done.steps!.find((s) => s.id === id)!;
    for (const id of ["first", "notify", "second", "third", "done"]) expect(step(id).status, id).toBe("complete");
    expect(step("first").output).toEqual(firstOutput);
    expect(step("first").output).toEqual({ answer: "answer: [first] durability" });
    expect(step("second").output).toEqual({ answer: "answer: [second] durability" });
    expect(step("third").output).toEqual({ answer: "answer: [third] durability" });
    expect(step("notify").output).toEqual({ sent: true, status_code: 200 });
    expect(step("done").output).toMatchObject({ result: expect.anything() });

    // Provider calls per step: `first` and `third` once; `second` turn 1 once, its lost
    // turn 2 once more after its host resumed from the turn-1 checkpoint.
    expect(callsFor("first")).toHaveLength(1);
    expect(callsFor("third")).toHaveLength(1);
    expect(callsFor("second")).toHaveLength(3);
    // The resumed loop carried the checkpointed conversation: the tool ran once (value 1)
    // before the crash and its result was reused, not run again.
    const resumedCall = callsFor("second")[2]!.body as { messages: Array<{ role: string; content?: string }> };
    expect(resumedCall.messages.filter((m) => m.role === "tool").map((m) => m.content)).toEqual(['{"value":1}']);

    // Dispatches: every step started once; `second` was not re-dispatched: its host's alarm
    // resumed it after the restart, before the orchestrator's heartbeat deadline passed.
    const events = await api.events(runId);
    const started = events.filter((e) => e.type === "step_started").map((e) => e.step_id);
    expect(started.sort()).toEqual(["done", "first", "notify", "second", "third"]);
    expect(events.filter((e) => e.type === "step_redispatched")).toEqual([]);
    expect(events.at(-1)!.type).toBe("run_completed");

    // Webhook deliveries: every one carries the same key; the re-send reused it.
    const hooks = sink.calls.filter((c) => c.path === "/hook");
    expect(hooks.length).toBeGreaterThanOrEqual(1);
    expect(new Set(hooks.map((h) => h.headers["idempotency-key"]))).toEqual(new Set([`${runId}/notify`]));
    expect(hooks.every((h) => JSON.parse(h.body).answer === "answer: [first] durability")).toBe(true);

    report("crash-resume", {
      "stack start (s)": startMs / 1000,
      "restart after SIGKILL (s)": restartMs / 1000,
      "kill → run complete (s)": resumedMs / 1000,
      "webhook deliveries / distinct keys": `${hooks.length} / 1`,
      "provider calls first/second/third": `${callsFor("first").length}/${callsFor("second").length}/${callsFor("third").length}`,
    });

    // Nothing secret in what the processes printed, in any API response, or on disk.
    await second.stop();
    const hits = [
      ...findSecrets(first.output() + second.output(), "ktsu start output"),
      ...api.recorded.flatMap((r) => findSecrets(r.body + r.headers, `${r.method} ${r.path}`)),
      ...(await scanFiles(stateDir, SECRETS, (f) => f.endsWith("state.key"))).hits,
    ];
    expect(hits).toEqual([]);
  });
});
