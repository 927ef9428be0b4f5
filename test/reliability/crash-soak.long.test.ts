// Scenario 1, long variant (KTSU_RELIABILITY_LONG=1): runs in flight while `ktsu start` is
// SIGKILLed and restarted several times at random moments. Every run must end; none may
// be left running; no step that finished runs again; webhook re-sends reuse their key.
// A step whose stack died during its LLM call is resumed by its host from the checkpoint
// taken before that call, so every run completes; the call is asked again once per kill it
// was caught in.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider, type FakeReply } from "../fake-provider/server.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";
import { Api, sleep, type RunView } from "./support/api.ts";
import { report } from "./support/figures.ts";
import { makeProject } from "./support/project.ts";
import { SECRETS } from "./support/secrets.ts";
import { startChild, type ChildStack } from "./support/stacks.ts";

const RUNS = Number(process.env.KTSU_RELIABILITY_SOAK_RUNS ?? 12);
const KILLS = Number(process.env.KTSU_RELIABILITY_SOAK_KILLS ?? 4);
let seed = Number(process.env.KTSU_RELIABILITY_SEED ?? 20261124);
/** A small deterministic PRNG (mulberry32), so a failing soak can be replayed with its seed. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

let fake: FakeProvider;
let sink: HttpSink;
let projectDir: string;
let stateDir: string;
const children: ChildStack[] = [];

beforeAll(async () => {
  fake = await startFakeProvider();
  sink = await startHttpSink();
  projectDir = await makeProject({ liarUrl: "http://127.0.0.1:9" });
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-rel-soak-"));
});

afterAll(async () => {
  for (const child of children) await child.stop().catch(() => {});
  await fake?.close();
  await sink?.close();
  await rm(stateDir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
});

describe(`crash soak: ${RUNS} runs, ${KILLS} SIGKILLs at random moments`, () => {
  it("ends every run, re-runs no finished step, and re-sends webhooks with their key", async () => {
    const environment = {
      ...process.env,
      FAKE_PROVIDER_URL: fake.url,
      FAKE_API_KEY: SECRETS.providerKey,
      SINK_URL: sink.url,
      KTSU_HEARTBEAT_TIMEOUT_MS: "8000",
      KTSU_ADMIN_TOKEN: SECRETS.adminToken,
    };
    fake.script(...Array.from({ length: RUNS * 3 }, (): FakeReply => ({ delay_ms: 400 + Math.floor(random() * 1600) })));
    await fetch(`${sink.url}/__delay?path=/soak&ms=700`, { method: "POST" });
    let child = await startChild({ projectDir, stateDir, environment });
    children.push(child);
    const api = new Api(child.url, SECRETS.adminToken);
    // All runs are accepted first (staggered), then the stack is killed while they progress.
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      ids.push(await api.invoke("soak", { topic: `soak-${i}` }));
      await sleep(100 + random() * 300);
    }
    for (let k = 0; k < KILLS; k++) {
      await sleep(500 + random() * 2500);
      await child.kill9();
      child = await startChild({ projectDir, stateDir, environment });
      children.push(child);
      api.base = new URL(child.url);
    }
    const views: RunView[] = [];
    for (const id of ids) views.push(await api.waitForRun(id, 120_000));

    const byStatus = (status: string) => views.filter((v) => v.run.status === status);
    // Every run completed; nothing is left running anywhere.
    expect(byStatus("complete").length, JSON.stringify(byStatus("failed").map((v) => v.run.error))).toBe(ids.length);
    const running = await api.json<{ runs: unknown[] }>("GET", "/runs?status=running&limit=1000");
    expect(running.body.runs).toEqual([]);
    for (const view of views) {
      const topic = (view.run.payload as { topic: string }).topic;
      const calls = (label: string) => fake.calls.filter((c) => JSON.stringify(c.body).includes(`[${label}] ${topic}"`)).length;
      // A step's one LLM call is asked again only when a kill cut it off: at most once per kill.
      expect(calls("first"), `${view.run.id} first`).toBeLessThanOrEqual(1 + KILLS);
      expect(calls("third"), `${view.run.id} third`).toBeLessThanOrEqual(1 + KILLS);
      const out = Object.fromEntries(view.steps!.map((s) => [s.id, s.output]));
      expect(out.first).toEqual({ answer: `answer: [first] ${topic}` });
      expect(out.third).toEqual({ answer: `answer: [third] ${topic}` });
      expect(out.notify).toEqual({ sent: true, status_code: 200 });
      // Webhook deliveries of this run: one key, its own.
      const hooks = sink.calls.filter((c) => c.path === "/soak" && JSON.parse(c.body).topic === topic);
      expect(new Set(hooks.map((h) => h.headers["idempotency-key"])).size).toBeLessThanOrEqual(1);
      for (const hook of hooks) expect(hook.headers["idempotency-key"]).toBe(`${view.run.id}/notify`);
    }
    const resent = new Map<string, number>();
    for (const c of sink.calls.filter((x) => x.path === "/soak"))
      resent.set(c.headers["idempotency-key"]!, (resent.get(c.headers["idempotency-key"]!) ?? 0) + 1);
    report("crash soak", {
      runs: ids.length,
      kills: KILLS,
      complete: byStatus("complete").length,
      failed: byStatus("failed").length,
      "webhook keys delivered more than once": [...resent.values()].filter((n) => n > 1).length,
    });
  });
});
