// Agent steps on their own host (the runtime's StepHost Durable Object), on the local stack:
// - a provider that takes 45 s per turn for three turns with tool calls between them: longer
//   than the platform lets `waitUntil` work run after a response, with the default heartbeat
//   interval and timeout;
// - `ktsu start` killed (SIGKILL, Node and workerd) as soon as the provider has received the
//   first LLM request of a tool-using step, then restarted on the same state: the step
//   completes, its tool runs once, and the interrupted turn is asked at most twice.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../cli/src/stack/stack.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { Api, pollUntil } from "./support/api.ts";
import { report } from "./support/figures.ts";
import { makeProject } from "./support/project.ts";
import { SECRETS } from "./support/secrets.ts";
import { startChild, startInProcess, type ChildStack } from "./support/stacks.ts";

const LONG_TURN_MS = 45_000;
/** A bound for a run that never ends, generous for a busy machine: three long turns and slack. */
const LONG_RUN_WAIT_MS = 3 * LONG_TURN_MS + 180_000;

let fake: FakeProvider;
let projectDir: string;
const stateDirs: string[] = [];
const children: ChildStack[] = [];
let stack: LocalStack | undefined;

function environment(): Record<string, string | undefined> {
  return { ...process.env, FAKE_PROVIDER_URL: fake.url, FAKE_API_KEY: SECRETS.providerKey, KTSU_ADMIN_TOKEN: SECRETS.adminToken };
}

async function newStateDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `ktsu-rel-${label}-`));
  stateDirs.push(dir);
  return dir;
}

function callsFor(label: string) {
  return fake.calls.filter((c) => JSON.stringify(c.body).includes(`[${label}]`));
}

type ProviderBody = { messages: Array<{ role: string; content?: string }> };
const toolResults = (body: unknown) => (body as ProviderBody).messages.filter((m) => m.role === "tool").map((m) => m.content);

beforeAll(async () => {
  fake = await startFakeProvider();
  projectDir = await makeProject({ liarUrl: "http://127.0.0.1:9" });
});

afterAll(async () => {
  await stack?.dispose();
  for (const child of children) await child.stop().catch(() => {});
  await fake?.close();
  for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
});

describe("long LLM turns", () => {
  it("completes a step whose provider takes 45 s per turn for three turns, with a tool call between them", { timeout: LONG_RUN_WAIT_MS + 60_000 }, async () => {
    fake.reset();
    stack = await startInProcess({ projectDir, stateDir: await newStateDir("long"), environment: environment() });
    const api = new Api(stack.url, SECRETS.adminToken);
    const increment = { name: "increment", arguments: { key: "long-counter" } };
    fake.script(
      { delay_ms: LONG_TURN_MS, tool_calls: [increment] },
      { delay_ms: LONG_TURN_MS, tool_calls: [increment] },
      { delay_ms: LONG_TURN_MS, text: '{"answer": "done after three long turns"}' },
    );
    const t0 = Date.now();
    const runId = await api.invoke("long-turns", { topic: "patience" });
    const done = await api.waitForRun(runId, LONG_RUN_WAIT_MS, 500);
    const wallMs = Date.now() - t0;

    expect(done.run.status).toBe("complete");
    const step = done.steps!.find((s) => s.id === "slow")!;
    expect(step.output).toEqual({ answer: "done after three long turns" });
    expect(step.metrics).toMatchObject({ llm_calls: 3, tool_calls: 2 });
    // Each turn was asked once (no re-dispatch, no resume): the heartbeats kept the step alive.
    const calls = callsFor("long");
    expect(calls).toHaveLength(3);
    expect(toolResults(calls[2]!.body)).toEqual(['{"value":1}', '{"value":2}']);
    const events = await api.events(runId);
    expect(events.filter((e) => e.type === "step_redispatched")).toEqual([]);
    report("long-turns", { "provider turn (s)": LONG_TURN_MS / 1000, turns: 3, "invoke → complete (s)": wallMs / 1000 });
    await stack.dispose();
    stack = undefined;
  });
});

describe("a stack killed during a step's first LLM call", () => {
  it("resumes the step after a restart on the same state: the tool runs once, the first turn is asked at most twice", async () => {
    fake.reset();
    const stateDir = await newStateDir("first-turn");
    const first = await startChild({ projectDir, stateDir, environment: environment() });
    children.push(first);
    const api = new Api(first.url, SECRETS.adminToken);
    // The first request is held (never answered before the kill); after the restart the
    // turn gets the tool call, then the answer.
    fake.script(
      { hang: true },
      { tool_calls: [{ name: "increment", arguments: { key: "first-turn-counter" } }] },
      { text: '{"answer": "resumed in the first turn"}' },
    );
    const runId = await api.invoke("first-turn", { topic: "kill" });
    // The signal: the provider has the step's first LLM request.
    expect(await pollUntil(() => callsFor("first-turn").length >= 1, 120_000, 10)).toBe(true);
    const killedAt = Date.now();
    await first.kill9();

    const second = await startChild({ projectDir, stateDir, environment: environment() });
    children.push(second);
    api.base = new URL(second.url);
    const done = await api.waitForRun(runId, 120_000);
    const resumedMs = Date.now() - killedAt;

    expect(done.run.status).toBe("complete");
    const step = done.steps!.find((s) => s.id === "count")!;
    expect(step.output).toEqual({ answer: "resumed in the first turn" });
    const calls = callsFor("first-turn");
    // Turn 1 asked at most twice (before and after the kill), then turn 2 once.
    const firstTurn = calls.filter((c) => toolResults(c.body).length === 0);
    expect(firstTurn.length).toBeGreaterThanOrEqual(1);
    expect(firstTurn.length).toBeLessThanOrEqual(2);
    expect(calls.length).toBe(firstTurn.length + 1);
    // The tool ran once: the counter's only value is 1.
    expect(toolResults(calls.at(-1)!.body)).toEqual(['{"value":1}']);
    expect(step.metrics).toMatchObject({ tool_calls: 1 });
    report("first-turn-kill", { "kill → run complete (s)": resumedMs / 1000, "first-turn LLM requests": firstTurn.length });
    await second.stop();
  });
});
