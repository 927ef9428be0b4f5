// Scenarios 3–8 on one local stack started as `ktsu start` starts it (startLocalProject):
// the budget race, load (fast variant), bad input of every kind, access control, egress
// through the gateway, and — last, over everything the file did — the secrets scan.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../cli/src/stack/stack.ts";
import type { BudgetReport } from "../../shared/contracts/gateway.ts";
import { startFakeProvider, type FakeProvider, type FakeReply } from "../fake-provider/server.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";
import { Api, mapLimit, pollUntil, TERMINAL, type RunView } from "./support/api.ts";
import { report } from "./support/figures.ts";
import { runIdForKey } from "../../workers/orchestrator/src/idempotency.ts";
import { runLoad } from "./support/load.ts";
import { startLyingMcp, type LyingMcp } from "./support/lying-mcp.ts";
import { makeProject } from "./support/project.ts";
import { captureConsole, findSecrets, scanD1, scanFiles, SECRETS } from "./support/secrets.ts";
import { startInProcess } from "./support/stacks.ts";

let fake: FakeProvider;
let sink: HttpSink;
let liar: LyingMcp;
let projectDir: string;
let stateDir: string;
let stack: LocalStack;
let api: Api;
let logs: ReturnType<typeof captureConsole>;

/**
 * Nothing in this file waits for a heartbeat timeout, so it is long: a busy machine that delays
 * the runtime's heartbeats (every 5 s) must not fail a healthy step. Lost runtimes are
 * `lost-runtime.test.ts`'s subject.
 */
const HEARTBEAT_TIMEOUT_MS = 60_000;
/** How long a run may take to end: a bound for a stuck run, generous for a busy machine. */
const RUN_WAIT_MS = 120_000;
const FAST_CHECK_SEED = Number(process.env.KTSU_RELIABILITY_SEED ?? 20261124);

beforeAll(async () => {
  logs = captureConsole();
  fake = await startFakeProvider();
  sink = await startHttpSink();
  liar = await startLyingMcp();
  projectDir = await makeProject({ liarUrl: liar.url });
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-rel-stack-"));
  stack = await startInProcess({
    projectDir,
    stateDir,
    environment: {
      ...process.env,
      FAKE_PROVIDER_URL: fake.url,
      FAKE_API_KEY: SECRETS.providerKey,
      SINK_URL: sink.url,
      SINK_TOKEN: SECRETS.sinkToken,
      VAULT_KEY: SECRETS.vaultKey,
      INVOKE_SECRET: SECRETS.invokeSecret,
      RAW_SECRET: SECRETS.rawSecret,
      KTSU_ADMIN_TOKEN: SECRETS.adminToken,
      KTSU_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
    },
  });
  api = new Api(stack.url, SECRETS.adminToken);
});

afterAll(async () => {
  await stack?.dispose();
  await fake?.close();
  await sink?.close();
  await liar?.close();
  logs?.restore();
  await rm(stateDir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ 3. budget race

describe("budget race: 100 items at once against a budget for 30 calls", () => {
  it("never spends past the budget; refused calls fail their items with the budget error; the totals add up", async () => {
    fake.reset();
    // Every admitted call costs 40 × $1/M + 50 × $2/M = $0.00014; the budget ($0.0042) covers 30.
    // (Usage within the gateway's estimate: it reserves ~2 tokens per byte of prompt and max_tokens of output.)
    const CALL_USD = 0.00014;
    const BUDGET_USD = 0.0042;
    fake.script(...Array.from({ length: 100 }, (): FakeReply => ({ delay_ms: 300, usage: { input_tokens: 40, output_tokens: 50 } })));
    const items = Array.from({ length: 100 }, (_, i) => `item-${String(i).padStart(3, "0")}`);
    const t0 = Date.now();
    const runId = await api.invoke("budget", { items });
    const done = await api.waitForRun(runId, RUN_WAIT_MS);
    const seconds = (Date.now() - t0) / 1000;
    const providerCalls = fake.calls.length;
    fake.reset();
    expect(done.run.status).toBe("complete"); // max_failures: -1
    const envelope = (
      await api.json<{
        steps: Array<{ id: string; output: { results: Array<Record<string, unknown>> }; metrics: { cost_usd: number; llm_calls: number } }>;
        totals: { cost_usd: number };
        budget: BudgetReport;
      }>("GET", `/runs/${runId}/envelope`)
    ).body;
    const results = envelope.steps[0]!.output.results;
    expect(results).toHaveLength(100);
    const ok = results.filter((r) => r.ktsu_error === undefined);
    const refused = results.filter((r) => r.ktsu_error !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    for (const item of refused) {
      expect(String(item.ktsu_error)).toMatch(
        /^agent step failed: gateway error budget_exceeded: cost budget of \$0\.0042 for run "run_[0-9a-f]{16}" exhausted/,
      );
    }

    const budget = envelope.budget;
    expect(budget.budget_usd).toBe(BUDGET_USD);
    expect(budget.spent_usd).toBeLessThanOrEqual(BUDGET_USD);
    expect(budget.reserved_usd).toBe(0);
    expect(budget.calls).toBe(ok.length);
    expect(budget.rejected).toBe(refused.length);
    // The provider was called once per admitted item, never for a refused one.
    expect(providerCalls).toBe(ok.length);
    expect(budget.spent_usd).toBeCloseTo(ok.length * CALL_USD, 9);
    const byStep = Object.entries(budget.by_step);
    expect(byStep).toHaveLength(ok.length);
    expect(byStep.every(([id]) => /^each\.\d+$/.test(id))).toBe(true);
    expect(byStep.reduce((sum, [, usd]) => sum + usd, 0)).toBeCloseTo(budget.spent_usd, 9);
    // The run's own accounting (sum of the items' metrics) agrees with the gateway's.
    expect(envelope.steps[0]!.metrics.cost_usd).toBeCloseTo(budget.spent_usd, 9);
    expect(envelope.steps[0]!.metrics.llm_calls).toBe(ok.length);
    expect(envelope.totals.cost_usd).toBeCloseTo(budget.spent_usd, 9);
    expect(done.run.cost_usd).toBeCloseTo(budget.spent_usd, 9);
    report("budget race", {
      items: 100,
      "budget ($)": BUDGET_USD,
      "admitted calls": ok.length,
      "refused calls": refused.length,
      "spent ($)": budget.spent_usd,
      "run time (s)": seconds,
    });
  });
});

// ------------------------------------------------------------------ 4. load (fast variant)

describe("load: 200 concurrent POST /invoke and 200 queue messages", () => {
  it("brings every accepted run to a terminal state, with D1 and the Durable Object agreeing", async () => {
    fake.reset();
    const result = await runLoad(stack, api, { invokes: 200, messages: 200, tag: "fast", timeoutMs: 240_000 });
    expect(result.accepted).toBe(200);
    expect(result.lost).toEqual([]);
    expect(result.disagreements).toEqual([]);
    expect(result.complete).toBe(400);
    expect(fake.calls.length).toBe(400); // one LLM call per run, none repeated
    report("load (fast)", {
      runs: 400,
      "accepted invokes": result.accepted,
      "queue messages": result.queued,
      "all terminal after (s)": result.seconds,
      "runs/s": result.runsPerSecond,
      "invoke p50 (ms)": result.invokeP50Ms,
      "invoke p99 (ms)": result.invokeP99Ms,
    });
    fake.reset();
  });
});

// ------------------------------------------------------------------ 5. bad input

/** Runs already stored, as the API shows them, to prove bad input loses none of them. */
async function snapshotRuns(): Promise<Map<string, string>> {
  const list = await api.json<{ runs: Array<{ id: string }> }>("GET", "/runs?limit=1000");
  const shots = new Map<string, string>();
  await mapLimit(list.body.runs.slice(0, 60), 8, async ({ id }) => {
    const view = await api.json("GET", `/runs/${id}`);
    shots.set(id, JSON.stringify(view.body));
  });
  return shots;
}

async function expectRunsIntact(before: Map<string, string>): Promise<void> {
  for (const [id, shot] of before) {
    const view = await api.json("GET", `/runs/${id}`);
    expect(JSON.stringify(view.body), id).toBe(shot);
  }
}

const CLIENT_ERRORS = new Set([400, 401, 404, 405, 413, 415, 422]);
describe("bad input", () => {
  /** The runs stored before any bad input was sent: compared again once all of it was. */
  let storedBeforeBadInput: Map<string, string>;
  beforeAll(async () => {
    // At least one run is stored, whichever tests of the file run.
    await api.waitForRun(await api.invoke("noop", {}), RUN_WAIT_MS);
    storedBeforeBadInput = await snapshotRuns();
  });

  describe("invoke and enqueue bodies", () => {
    const body = fc.oneof(
      fc.json({ maxDepth: 4 }).map((text) => ({ text, type: "json" })),
      fc.string({ maxLength: 200 }).map((text) => ({ text, type: "text" })),
      fc.string({ unit: "grapheme", maxLength: 100 }).map((text) => ({ text, type: "unicode" })),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ text: Buffer.from(bytes).toString("latin1"), type: "bytes" })),
      fc
        .record(
          {
            n: fc.oneof(fc.integer({ min: -5, max: 15 }), fc.double(), fc.string(), fc.constant(null), fc.boolean()),
            mode: fc.oneof(fc.constantFrom("a", "b", "c", ""), fc.anything({ maxDepth: 2 })),
            nested: fc.oneof(fc.record({ x: fc.string({ maxLength: 30 }) }), fc.anything({ maxDepth: 2 })),
            tags: fc.oneof(fc.array(fc.string()), fc.anything({ maxDepth: 2 })),
          },
          { requiredKeys: [] },
        )
        .map((value) => ({ text: JSON.stringify(value), type: "typed" })),
      fc.integer({ min: 1, max: 20_000 }).map((depth) => ({ text: `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`, type: "deep" })),
    );
    const request = fc.record({
      route: fc.constantFrom("invoke", "enqueue"),
      workflow: fc.constantFrom("typed", "noop", "typed", "nope", "raw", "%F0%9F%92%A5", "..%2F..%2Fruns"),
      contentType: fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", null),
      body,
    });

    it("answers every body with 202 or a clear 4xx, never a 5xx, and loses nothing stored", async () => {
      const before = await snapshotRuns();
      const accepted: string[] = [];
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async ({ route, workflow, contentType, body }) => {
          const res = await api.request("POST", `/${route}/${workflow}`, { body: body.text, headers: { "content-type": contentType } });
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          expect(res.status === 202 || CLIENT_ERRORS.has(res.status), `${res.status} ${res.text}`).toBe(true);
          const parsed = JSON.parse(res.text) as { error?: string; run_id?: string };
          if (res.status === 202) accepted.push(parsed.run_id!);
          else expect(typeof parsed.error).toBe("string");
        }),
        { numRuns: 300, seed: FAST_CHECK_SEED },
      );
      // Accepted runs all end.
      for (const id of accepted) expect(TERMINAL.has((await api.waitForRun(id, RUN_WAIT_MS)).run.status)).toBe(true);
      await expectRunsIntact(before);
      report("fuzz: invoke/enqueue bodies", { cases: 300, accepted: accepted.length, statuses: JSON.stringify(Object.fromEntries([...seen].sort())) });
    });

    it("refuses params nested deeper than 100 levels with 422 (they used to crash the run's Durable Object: a 500)", async () => {
      const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`; // depth counts the params object
      for (const route of ["invoke", "enqueue"]) {
        for (const depth of [101, 5000]) {
          const res = await api.request("POST", `/${route}/noop`, { body: nested(depth), headers: { "content-type": "application/json" } });
          expect(res.status, `${route} ${depth}`).toBe(422);
          expect(JSON.parse(res.text)).toEqual({ error: "invalid_input", message: "input nests deeper than 100 levels" });
        }
      }
      const ok = await api.request("POST", "/invoke/noop", { body: nested(100), headers: { "content-type": "application/json" } });
      expect(ok.status).toBe(202);
      expect((await api.waitForRun(JSON.parse(ok.text).run_id)).run.status).toBe("complete");
      // A queue message is refused the same way, and recorded.
      const producer = await stack.miniflare.getQueueProducer<unknown>("RUN_QUEUE", "ktsu-orchestrator");
      // (Miniflare's producer proxy itself cannot carry much deeper values from Node.)
      await producer.send({ workflow: "noop", params: JSON.parse(nested(150)), idempotency_key: "deep-queue-message" });
      const queued = await api.waitForRun(await runIdForKey({ workflow: "noop", key: "deep-queue-message" }), RUN_WAIT_MS);
      expect(queued.run).toMatchObject({ status: "failed", error: "queue message rejected: input nests deeper than 100 levels" });
    });

    it("refuses an oversized body with 413 and a body just under the limit is read", async () => {
      const huge = JSON.stringify({ text: "x".repeat(2 * 1024 * 1024) });
      for (const route of ["invoke", "enqueue"]) {
        const res = await api.request("POST", `/${route}/noop`, { body: huge, headers: { "content-type": "application/json" } });
        expect(res.status, route).toBe(413);
        expect(JSON.parse(res.text)).toEqual({ error: "payload_too_large", message: "request body exceeds 1048576 bytes" });
      }
      const near = JSON.stringify({ text: "y".repeat(1024 * 1024 - 20) });
      const res = await api.request("POST", "/invoke/noop", { body: near, headers: { "content-type": "application/json" } });
      expect(res.status).toBe(202);
      const run = await api.waitForRun(JSON.parse(res.text).run_id);
      expect(run.run.status).toBe("complete");
    });
  });

  describe("queue messages", () => {
    it("records every hostile message as a failed run (or starts a valid one), acknowledges it, and loses nothing", async () => {
      const producer = await stack.miniflare.getQueueProducer<unknown>("RUN_QUEUE", "ktsu-orchestrator");
      const before = await snapshotRuns();
      const countQueued = async () =>
        (
          await (
            await stack.miniflare.getD1Database("DB", "ktsu-orchestrator")
          )
            .prepare('SELECT count(*) AS n FROM runs WHERE metadata LIKE \'%"source":"queue"%\'')
            .all<{ n: number }>()
        ).results[0]!.n;
      const queuedBefore = await countQueued();
      // Bodies of every shape; none names an idempotency key or run id, so each message is its own run.
      const message = fc.oneof(
        fc.anything({ maxDepth: 3 }),
        fc.record(
          { workflow: fc.oneof(fc.constantFrom("typed", "noop", "nope", "", "bearer"), fc.anything({ maxDepth: 1 })), params: fc.anything({ maxDepth: 3 }) },
          { requiredKeys: [] },
        ),
        fc.record({
          workflow: fc.constant("typed"),
          params: fc.record({
            n: fc.integer({ min: -3, max: 13 }),
            mode: fc.constantFrom("a", "b", "z"),
            nested: fc.record({ x: fc.string({ maxLength: 25 }) }),
          }),
        }),
        fc.string({ maxLength: 300 }),
      );
      const samples = fc.sample(message, { numRuns: 120, seed: FAST_CHECK_SEED }).filter((body) => {
        const text = JSON.stringify(body ?? null) ?? "";
        return !text.includes("idempotency_key") && !text.includes("run_id");
      });
      let sent = 0;
      const refusedBySend: string[] = [];
      for (const body of samples) {
        try {
          await producer.send(body);
          sent += 1;
        } catch (err) {
          refusedBySend.push(String(err).slice(0, 120)); // not serializable as a queue message: never sent
        }
      }
      const deadline = Date.now() + RUN_WAIT_MS;
      await pollUntil(async () => (await countQueued()) >= queuedBefore + sent, deadline - Date.now(), 200);
      expect(await countQueued()).toBe(queuedBefore + sent);
      // Every queue-started run ends; rejected ones say why.
      const db = await stack.miniflare.getD1Database("DB", "ktsu-orchestrator");
      const stillRunning = async () =>
        (await db.prepare("SELECT count(*) AS n FROM runs WHERE status = 'running' AND metadata LIKE '%\"source\":\"queue\"%'").all<{ n: number }>())
          .results[0]!.n;
      await pollUntil(async () => (await stillRunning()) === 0, deadline - Date.now(), 200);
      const rows = (
        await db
          .prepare('SELECT status, error FROM runs WHERE metadata LIKE \'%"source":"queue"%\' ORDER BY created_at DESC LIMIT ?')
          .bind(sent)
          .all<{ status: string; error: string | null }>()
      ).results;
      expect(rows.filter((r) => r.status === "running")).toEqual([]);
      for (const row of rows.filter((r) => r.status === "failed")) expect(row.error).toMatch(/^queue message rejected: /);
      await expectRunsIntact(before);
      report("fuzz: queue messages", {
        sent,
        "refused by the producer": refusedBySend.length,
        rejected: rows.filter((r) => r.status === "failed").length,
        started: rows.filter((r) => r.status === "complete").length,
      });
    });
  });

  describe("provider replies", () => {
    /** Runs `quick` with the provider answering `reply` to every call; returns the run once it ended. */
    async function runWithReply(reply: FakeReply): Promise<{ view: RunView }> {
      fake.reset();
      fake.script(reply, reply, reply, reply); // the gateway tries a retryable error up to 3 times
      const runId = await api.invoke("quick", { text: "hostile provider" });
      const view = await api.waitForRun(runId, RUN_WAIT_MS, 50);
      fake.reset();
      return { view };
    }

    const valid = JSON.stringify({
      id: "x",
      object: "chat.completion",
      model: "fake-model",
      choices: [{ index: 0, message: { role: "assistant", content: '{"answer":"ok"}' }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 3 },
    });
    const hostile = fc.oneof(
      fc.integer({ min: 0, max: valid.length - 1 }).map((cut) => ({ raw_body: valid.slice(0, cut) })), // truncated JSON
      fc.json({ maxDepth: 3 }).map((raw_body) => ({ raw_body })), // any JSON, almost never the right shape
      fc.string({ maxLength: 80 }).map((raw_body) => ({ raw_body })),
      fc.constantFrom(
        { raw_body: '{"error":{"message":"overloaded","type":"server_error"}}' }, // 200 with an error body
        { raw_body: '{"object":"error","message":"model crashed","code":500}' }, // vLLM's error shape
        { raw_body: '{"choices":[]}' },
        { raw_body: '{"choices":[{"message":{"content":42}}]}' },
        {
          raw_body:
            '{"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"x","arguments":"{not json"}}]}}]}',
        },
        { raw_body: "" },
        { status: 200, raw_body: "null" },
        { status: 500, error: { message: "boom" } },
        { status: 429, error: { message: "slow down" }, headers: { "retry-after": "0" } },
        { status: 401, error: { message: "bad key" } },
        { text: "not json at all" },
      ),
    );

    it("ends the run with a clear step error (or completes), never hangs", async () => {
      const outcomes: string[] = [];
      await fc.assert(
        fc.asyncProperty(hostile, async (reply) => {
          const { view: done } = await runWithReply(reply as FakeReply);
          expect(TERMINAL.has(done.run.status)).toBe(true);
          const step = done.steps!.find((s) => s.id === "answer")!;
          if (done.run.status === "failed") {
            expect(step.status).toBe("failed");
            expect(step.error).toMatch(/^agent step failed: /);
          }
          outcomes.push(done.run.status === "failed" ? step.error!.replace(/run_[0-9a-f]{16}/g, "run_…").slice(0, 90) : "complete");
        }),
        { numRuns: 30, seed: FAST_CHECK_SEED },
      );
      report("fuzz: provider replies", {
        cases: outcomes.length,
        failed: outcomes.filter((o) => o !== "complete").length,
        completed: outcomes.filter((o) => o === "complete").length,
      });
    });

    // Was a bug (fixed; see docs/reliability.md) (orchestrator, RunDO.commit): the Durable Object's
    // storage write of the deep output overflowed the stack and threw after `commit()` had already
    // cleared its dirty keys and pending events; the runtime's retried callback then mirrored the
    // in-memory state to D1. D1 said `complete`, the object's storage (its event stream) still said
    // the step was running, and no alarm was left to repair it.
    it("an answer nested 3000 levels deep fails its step clearly, and the run's Durable Object agrees with D1 about how it ended", async () => {
      const { view: done } = await runWithReply({ text: `{"answer": ${"[".repeat(3000)}${"]".repeat(3000)}}` });
      expect(done.run.status).toBe("failed");
      expect(done.steps!.find((s) => s.id === "answer")!.error).toContain("output nests deeper than 100 levels");
      expect((await api.events(done.run.id)).at(-1)?.type).toBe("run_failed");
    });
  });

  describe("MCP servers that lie", () => {
    /** Runs `liar` with the provider scripted by `replies`; returns the ended run and how many calls the provider got. */
    async function runLiarCounting(replies: FakeReply[]): Promise<{ view: RunView; providerCalls: number }> {
      fake.reset();
      fake.script(...replies);
      const runId = await api.invoke("liar", { case: "lies" });
      const view = await api.waitForRun(runId, RUN_WAIT_MS, 50);
      const providerCalls = fake.calls.length;
      fake.reset();
      return { view, providerCalls };
    }
    const runLiar = async (replies: FakeReply[]): Promise<RunView> => (await runLiarCounting(replies)).view;
    const call = (name: string, args: Record<string, unknown> = {}): FakeReply => ({ tool_calls: [{ name, arguments: args }] });
    const final: FakeReply = { text: '{"survived":true}' };

    it("a call to a tool the server never listed is refused and the model recovers", async () => {
      const done = await runLiar([call("ghost"), final]);
      expect(done.run.status).toBe("complete");
      expect(liar.requests.filter((r) => r.rpc === "tools/call" && r.body.includes("ghost"))).toEqual([]);
    });

    it.each([
      ["phantom", "a listed tool the server then calls unknown"],
      ["garbage", "an answer that is not JSON"],
      ["wrongshape", "a result of the wrong shape"],
    ])("%s (%s) fails the step with a clear error", async (tool) => {
      const done = await runLiar([call(tool), final]);
      expect(done.run.status).toBe("failed");
      const step = done.steps!.find((s) => s.id === "use")!;
      expect(step.status).toBe("failed");
      expect(step.error).toContain(`tool call ${tool}:`);
    });

    it.each(["ill-shaped", "rpc-error", "html"] as const)("a tools/list that lies (%s) fails the step at discovery", async (mode) => {
      liar.listMode = mode;
      try {
        const done = await runLiar([final]);
        expect(done.run.status).toBe("failed");
        expect(done.run.error).toMatch(/^agent step failed: discover tools from liar: /);
      } finally {
        liar.listMode = "normal";
      }
    });

    // Was a bug (fixed; see docs/reliability.md) (runtime ↔ orchestrator): the callback carries the
    // conversation, so with a 3 MB tool result it passed the orchestrator's 1 MiB body limit and was
    // refused (400); the runtime does not retry a 4xx, the result was lost, and only the heartbeat
    // timeout re-dispatched the step from an older checkpoint, where the tool call read
    // "interrupted" and the model was asked again. Signs of that path: a `step_redispatched` event,
    // a third provider call, or a step that timed out.
    it("an oversized tool result (3 MB) ends the run with the model's own answer, without a re-dispatch", async () => {
      const t0 = Date.now();
      const { view: done, providerCalls } = await runLiarCounting([call("huge", { bytes: 3_000_000 }), final]);
      const seconds = (Date.now() - t0) / 1000;
      expect(done.run.status, JSON.stringify(done.run)).toBe("complete");
      expect(done.steps!.find((s) => s.id === "use")!.output).toEqual({ survived: true });
      expect(providerCalls).toBe(2); // the tool call, then the answer: no turn asked again
      const events = await api.events(done.run.id);
      expect(events.map((e) => e.type)).not.toContain("step_redispatched");
      report("fuzz: oversized MCP result", { "3 MB tool result → run ended (s)": seconds, status: done.run.status });
    });
  });

  it("afterwards: every run stored before any bad input reads exactly as it did", async () => {
    expect(storedBeforeBadInput.size).toBeGreaterThan(0);
    await expectRunsIntact(storedBeforeBadInput);
  });
});

// ------------------------------------------------------------------ 7. access control

describe("access control: every refusal", () => {
  const refusedAdmin: Array<[string, Record<string, string | null>]> = [
    ["no header", { authorization: null }],
    ["a wrong token", { authorization: "Bearer not-the-token" }],
    ["the token without a scheme", { authorization: SECRETS.adminToken }],
    ["the Basic scheme", { authorization: `Basic ${SECRETS.adminToken}` }],
    ["a token with a suffix", { authorization: `Bearer ${SECRETS.adminToken}x` }],
    ["a prefix of the token", { authorization: `Bearer ${SECRETS.adminToken.slice(0, -1)}` }],
    ["an invoke secret instead", { authorization: `Bearer ${SECRETS.invokeSecret}` }],
    ["the token in another header", { authorization: null, "x-api-key": SECRETS.adminToken }],
  ];

  it("the admin token guards every run, approval and workflow route", async () => {
    const runId = await api.invoke("noop", {});
    await api.waitForRun(runId);
    const routes: Array<[string, string]> = [
      ["GET", "/runs"],
      ["GET", `/runs/${runId}`],
      ["GET", `/runs/${runId}/envelope`],
      ["GET", `/runs/${runId}/events`],
      ["GET", `/runs/${runId}/steps/pass/approval`],
      ["POST", `/runs/${runId}/steps/pass/approval/decide`],
      ["GET", "/approvals"],
      ["GET", "/workflows"],
      ["GET", "/workflows/noop/graph"],
    ];
    for (const [method, route] of routes) {
      for (const [why, headers] of refusedAdmin) {
        const res = await api.request(method, route, { headers, ...(method === "POST" ? { body: '{"decision":"approved"}' } : {}) });
        expect(res.status, `${method} ${route} with ${why}`).toBe(401);
        expect(JSON.parse(res.text).error).toBe("unauthorized");
      }
      const allowed = await api.request(method, route, method === "POST" ? { body: '{"decision":"approved"}' } : {});
      expect(allowed.status, `${method} ${route} with the token`).not.toBe(401);
    }
  });

  const invokeCases: Array<{ workflow: string; why: string; headers: Record<string, string | null>; status: number }> = [
    { workflow: "bearer", why: "no header", headers: {}, status: 401 },
    { workflow: "bearer", why: "a wrong secret", headers: { authorization: "Bearer nope" }, status: 401 },
    { workflow: "bearer", why: "the secret without the scheme", headers: { authorization: SECRETS.invokeSecret }, status: 401 },
    { workflow: "bearer", why: "the Basic scheme", headers: { authorization: `Basic ${SECRETS.invokeSecret}` }, status: 401 },
    { workflow: "bearer", why: "two spaces after Bearer", headers: { authorization: `Bearer  ${SECRETS.invokeSecret}` }, status: 401 },
    { workflow: "bearer", why: "the admin token", headers: { authorization: `Bearer ${SECRETS.adminToken}` }, status: 401 },
    { workflow: "bearer", why: "the raw workflow's secret", headers: { authorization: `Bearer ${SECRETS.rawSecret}` }, status: 401 },
    { workflow: "bearer", why: "the secret in another header", headers: { "x-api-key": `Bearer ${SECRETS.invokeSecret}` }, status: 401 },
    { workflow: "bearer", why: "the right secret", headers: { authorization: `Bearer ${SECRETS.invokeSecret}` }, status: 202 },
    { workflow: "raw", why: "no header", headers: {}, status: 401 },
    { workflow: "raw", why: "a wrong secret", headers: { "x-api-key": "nope" }, status: 401 },
    { workflow: "raw", why: "the secret with a Bearer scheme", headers: { "x-api-key": `Bearer ${SECRETS.rawSecret}` }, status: 401 },
    { workflow: "raw", why: "the secret in Authorization", headers: { authorization: SECRETS.rawSecret }, status: 401 },
    { workflow: "raw", why: "a prefix of the secret", headers: { "x-api-key": SECRETS.rawSecret.slice(0, 8) }, status: 401 },
    { workflow: "raw", why: "the right secret", headers: { "x-api-key": SECRETS.rawSecret }, status: 202 },
    { workflow: "raw", why: "the right secret, header name in capitals", headers: { "X-API-KEY": SECRETS.rawSecret }, status: 202 },
  ];

  /** Ids of the stored runs of the two protected workflows. */
  const protectedRuns = async (): Promise<Set<string>> => {
    const ids = new Set<string>();
    for (const workflow of ["bearer", "raw"]) {
      const list = await api.json<{ runs: Array<{ id: string }> }>("GET", `/runs?workflow=${workflow}&limit=1000`);
      for (const run of list.body.runs) ids.add(run.id);
    }
    return ids;
  };

  it.each(["invoke", "enqueue"])(
    "per-workflow invoke.auth on POST /%s: header, scheme and secret must all match, and nothing refused starts a run",
    async (route) => {
      const before = await protectedRuns();
      const admitted: string[] = [];
      for (const { workflow, why, headers, status } of invokeCases) {
        // The admin token is not sent: it neither opens nor affects invokes.
        const res = await api.request("POST", `/${route}/${workflow}`, {
          body: "{}",
          headers: { "content-type": "application/json", authorization: null, ...headers },
        });
        expect(res.status, `${route} ${workflow} with ${why}`).toBe(status);
        if (status === 401) expect(JSON.parse(res.text)).toEqual({ error: "unauthorized" });
        else admitted.push((JSON.parse(res.text) as { run_id: string }).run_id);
      }
      // Each admitted run ends. An enqueued one is started by the queue consumer, in the order the
      // messages were sent, and the admitted requests came last: once they ended, a refused request
      // that had slipped into the queue would have started too.
      for (const id of admitted) await api.waitForRun(id, RUN_WAIT_MS);
      const started = [...(await protectedRuns())].filter((id) => !before.has(id));
      expect(started.sort()).toEqual([...admitted].sort());
    },
  );

  it("service routes (step results, checkpoints, heartbeats) do not exist on the public port, even with the admin token", async () => {
    for (const route of ["/heartbeat", "/runs/run_0123456789abcdef/steps/a/complete", "/runs/run_0123456789abcdef/steps/a/checkpoint"]) {
      const res = await api.request("POST", route, { body: '{"runtime_id":"x","active":[],"status":"ok","attempt":1,"turn":1,"messages":[]}' });
      expect(res.status, route).toBe(404);
    }
  });
});

// ------------------------------------------------------------------ 8. egress (allowed side)

describe("egress through the gateway (hosts the project names)", () => {
  it("an MCP server named in the YAML is reached through the gateway, without any x-ktsu-* header", async () => {
    fake.reset();
    const before = liar.requests.length;
    fake.script({ tool_calls: [{ name: "echo", arguments: { text: "through the gateway" } }] }, { text: '{"echoed":true}' });
    const runId = await api.invoke("liar", { case: "allowed" });
    const done = await api.waitForRun(runId);
    fake.reset();
    expect(done.run.status).toBe("complete");
    const seen = liar.requests.slice(before);
    expect(seen.map((r) => r.rpc)).toEqual(expect.arrayContaining(["initialize", "tools/list", "tools/call"]));
    for (const request of seen) expect(Object.keys(request.headers).filter((h) => h.startsWith("x-ktsu-"))).toEqual([]);
  });

  it("a webhook to the sink (SINK_URL, an env reference the allowlist resolves) is delivered", async () => {
    const before = sink.calls.length;
    const runId = await api.invoke("hook", {});
    expect((await api.waitForRun(runId)).run.status).toBe("complete");
    expect(sink.calls.slice(before).map((c) => [c.path, c.headers["idempotency-key"]])).toEqual([["/plain", `${runId}/send`]]);
  });
});

// ------------------------------------------------------------------ 6. secrets (last: scans everything above)

describe("secrets", () => {
  it("secret env values and secret params flow through a run (webhook URL and body, MCP auth, an echoing server, the model's answer)", async () => {
    fake.reset();
    // The model calls the vault server's `whoami` (which echoes the bearer token and the secret
    // server param), then leaks what it saw into its answer.
    fake.script(
      { tool_calls: [{ name: "whoami", arguments: {} }] },
      { text: JSON.stringify({ answer: `the key is ${SECRETS.vaultKey}, the password ${SECRETS.password}` }) },
    );
    const before = liar.requests.length;
    const runId = await api.invoke("secrets", { password: SECRETS.password, note: "hello" });
    const done = await api.waitForRun(runId);
    expect(done.run.status, JSON.stringify(done.run)).toBe("complete");
    // The secrets did reach where they were meant to go...
    const vault = liar.requests.slice(before).filter((r) => r.path.startsWith("/vault"));
    expect(vault.length).toBeGreaterThan(0);
    expect(vault.every((r) => r.headers.authorization === `Bearer ${SECRETS.vaultKey}`)).toBe(true);
    const hook = sink.calls.find((c) => c.path === `/secret/${SECRETS.sinkToken}`)!;
    expect(JSON.parse(hook.body)).toMatchObject({ token: SECRETS.sinkToken, password: SECRETS.password });
    // ...and come back masked, wherever the run shows them.
    expect(done.steps!.find((s) => s.id === "ask")!.output).toEqual({ answer: "the key is [REDACTED], the password [REDACTED]" });
    expect(done.run.payload).toEqual({ password: "[REDACTED]", note: "hello" });

    // A failing webhook puts the secret URL into an error message.
    fake.script({ text: '{"answer":"fine"}' });
    await fetch(`${sink.url}/__status?path=/secret/${SECRETS.sinkToken}&status=500`, { method: "POST" });
    const failing = await api.invoke("secrets", { password: SECRETS.password, note: "again" });
    const failed = await api.waitForRun(failing);
    fake.reset();
    expect(failed.run.status).toBe("failed");
    expect(failed.run.error).toBe(`webhook POST ${sink.url}/secret/[REDACTED] returned status 500`);
  });

  // Was a bug (fixed; see docs/reliability.md) (orchestrator dispatch vs compiler): `ktsu validate` accepts a secret agent param fed
  // from a secret workflow param (`{{ params.password }}`), but dispatch resolves the template
  // first and then refuses the value: "agent param "password" is secret and must use an env: source".
  it("a secret workflow param feeds a secret agent param, as ktsu validate allows", async () => {
    fake.reset();
    fake.script({ text: '{"answer":"ok"}' });
    const runId = await api.invoke("secret-param", { password: SECRETS.password });
    const done = await api.waitForRun(runId);
    fake.reset();
    expect(done.run.error ?? "").toBe("");
    expect(done.run.status).toBe("complete");
  });

  it("no secret value is in D1, in any Durable Object's storage, in the logs or in any API response", async () => {
    // Whichever tests ran before, the scan has secrets to look for and log lines to read: a run
    // carrying a secret param, a secret env value in its webhook and an MCP server's bearer token…
    fake.reset();
    await fetch(`${sink.url}/__status?path=/secret/${SECRETS.sinkToken}&status=200`, { method: "POST" }); // an earlier test may have made it fail
    fake.script({ tool_calls: [{ name: "whoami", arguments: {} }] }, { text: '{"answer":"nothing to see"}' });
    const carrying = await api.waitForRun(await api.invoke("secrets", { password: SECRETS.password, note: "scan" }), RUN_WAIT_MS);
    expect(carrying.run.status, JSON.stringify(carrying.run)).toBe("complete");
    // …a secret param handed to a sub-workflow inside a plain param, which the sub-run's output echoes…
    const passing = await api.waitForRun(await api.invoke("secret-pass-parent", { password: SECRETS.password, note: "pass" }), RUN_WAIT_MS);
    expect(passing.run.status, JSON.stringify(passing.run)).toBe("complete");
    expect(passing.steps!.find((s) => s.id === "call")!.output).toEqual({ copied: "[REDACTED]", note: "pass" });
    // …and a provider answer that cannot be decoded, which the gateway logs.
    const garbage: FakeReply = { raw_body: "not json" };
    fake.script(garbage, garbage, garbage, garbage);
    await api.waitForRun(await api.invoke("quick", { text: "make the gateway log" }), RUN_WAIT_MS);
    fake.reset();

    const values = await api.json<{ runs: unknown[] }>("GET", "/runs?limit=1000"); // one more response to scan
    expect(values.status).toBe(200);
    const d1 = await scanD1(await stack.miniflare.getD1Database("DB", "ktsu-orchestrator"));
    // Durable Object storage (RunDO, BudgetDO, KV) and D1, raw, WAL included; state.key is the encryption key, not a test secret.
    const files = await scanFiles(path.join(stateDir, "state"));
    const logHits = logs.lines.flatMap((line, i) => findSecrets(line, `log line ${i}: ${line.slice(0, 120)}`));
    const responseHits = api.recorded.flatMap((r) => findSecrets(r.body + r.headers, `${r.method} ${r.path} → ${r.status}`));
    report("secrets scan", {
      "D1 tables": d1.tables.length,
      "D1 rows": d1.rows,
      "state files": files.files,
      "state MB": files.bytes / 1e6,
      "log lines": logs.lines.length,
      "API responses": api.recorded.length,
      hits: d1.hits.length + files.hits.length + logHits.length + responseHits.length,
    });
    expect(logs.lines.some((line) => line.includes("gateway: /invoke failed"))).toBe(true); // the capture works
    expect(d1.hits).toEqual([]);
    expect(responseHits).toEqual([]);
    expect(logHits).toEqual([]);
    expect(files.hits).toEqual([]);
  });
});
