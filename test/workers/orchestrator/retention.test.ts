// Retention (workers/orchestrator/src/retention.ts): the cron's pass deletes runs that ended
// longer ago than KTSU_RUN_RETENTION_DAYS from the Store, the run objects (the run's and its
// sub-runs') and the runtime's step hosts, keeps runs that have not ended, drains a backlog in
// bounded passes, and deletes expired idempotency keys. A run is made old by writing its rows'
// timestamps back; the test runtime (fake-runtime) records the host names it is asked to erase
// (the real runtime's erasing is tested in test/workers/runtime/retention.test.ts).
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fanoutHostKey, stepHostName } from "../../../shared/contracts/step-host.ts";
import type { OrchestratorEnv } from "../../../workers/orchestrator/src/env.ts";
import { type RetentionOptions, purgeExpiredRuns } from "../../../workers/orchestrator/src/retention.ts";
import { runStub } from "../../../workers/orchestrator/src/run/stub.ts";
import { openStore } from "../../../workers/orchestrator/src/store/open-store.ts";
import { eventually, get, script, settled, start, type RunView } from "./helpers.ts";

const DAY_MS = 24 * 60 * 60_000;
const TABLES = ["runs", "steps", "events", "approvals"] as const;

/** The orchestrator's env with retention set. */
const retaining = (days: string): OrchestratorEnv => ({ ...env, KTSU_RUN_RETENTION_DAYS: days });

/** Rows of a run and its sub-runs in each table. */
async function rowCounts(rootId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const column = table === "runs" ? "id" : "run_id";
    const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?1 OR ${column} LIKE ?1 || '/%'`)
      .bind(rootId)
      .first<{ n: number }>();
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

/** Makes a run (and its sub-runs) look as if it was created and last changed at `at`. */
async function age(rootId: string, at: string): Promise<void> {
  await env.DB.prepare(
    "UPDATE runs SET created_at = ?2, updated_at = ?2, completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE ?2 END WHERE id = ?1 OR id LIKE ?1 || '/%'",
  )
    .bind(rootId, at)
    .run();
}

async function storageOf(runId: string): Promise<{ keys: number; alarm: number | null }> {
  return runInDurableObject(runStub(env, runId), async (_instance, state) => ({
    keys: (await state.storage.list()).size,
    alarm: await state.storage.getAlarm(),
  }));
}

async function purgedHosts(): Promise<string[]> {
  const res = await env.RUNTIME.fetch("https://runtime/hosts/purged");
  return ((await res.json()) as { hosts: string[] }).hosts;
}

/** Retention passes until `gone` holds (each pass is bounded; other files' runs may share the Store). */
async function purgeUntil(gone: () => Promise<boolean>, target: OrchestratorEnv, options: RetentionOptions = {}): Promise<void> {
  for (let pass = 0; pass < 20; pass++) {
    await purgeExpiredRuns(target, options);
    if (await gone()) return;
  }
  throw new Error("retention passes did not delete the runs");
}

async function waitForStep(runId: string, stepId: string, status: string): Promise<void> {
  await eventually(async () =>
    (await get<RunView>(`/runs/${encodeURIComponent(runId)}`)).body.steps?.find((s) => s.id === stepId)?.status === status ? true : undefined,
  );
}

/** The hosts a fanout step `each` of `concurrency` ran its items in, as its dispatches named them (one per 8 of its concurrency). */
function fanoutHosts(runId: string, concurrency: number): string[] {
  const names = Array.from({ length: concurrency }, (_, slot) =>
    stepHostName({ run_id: runId, step_id: `each.${slot}`, host_key: fanoutHostKey("each", slot, concurrency) }),
  );
  return [...new Set(names)];
}

const approvalScript = script({
  status: "pending_approval",
  pending_approval: { tool_name: "t", tool_use_id: "call_1", arguments: {}, on_reject: "fail", timeout_ms: 0, timeout_behavior: "fail" },
  messages: [{ role: "user", content: "u" }],
  on_resume: { output: { ok: true } },
});

describe("retention", () => {
  it("deletes an old ended run everywhere: Store rows, its object, its sub-run's object, the hosts of every attempt", async () => {
    // A run whose sub-run's agent step asked for an approval (attempt 1) and resumed (attempt 2).
    const root = await start("parent-agent", { script: approvalScript });
    const sub = `${root}/call`;
    await waitForStep(sub, "inner", "pending_approval");
    const decided = await SELF.fetch(`https://ktsu.test/runs/${encodeURIComponent(sub)}/steps/inner/approval/decide`, {
      method: "POST",
      body: JSON.stringify({ decision: "approved" }),
    });
    expect(decided.status).toBe(200);
    expect((await settled(root)).run.status).toBe("complete");
    // A fanout: its items share hosts by host key.
    const fanout = await start("fanout", { items: [0, 1, 2].map(() => ({ script: script({ output: { ok: true } }) })) });
    expect((await settled(fanout)).run.status).toBe("complete");

    expect(await rowCounts(root)).toMatchObject({ runs: 2, approvals: 1 });
    expect((await rowCounts(root)).steps).toBeGreaterThan(0);
    expect((await rowCounts(root)).events).toBeGreaterThan(0);
    expect((await storageOf(sub)).keys).toBeGreaterThan(0);
    const old = new Date(Date.now() - 31 * DAY_MS).toISOString();
    await age(root, old);
    await age(fanout, old);

    await purgeUntil(async () => (await rowCounts(root)).runs === 0 && (await rowCounts(fanout)).runs === 0, retaining("30"));

    for (const id of [root, fanout]) expect(await rowCounts(id)).toEqual({ runs: 0, steps: 0, events: 0, approvals: 0 });
    for (const id of [root, sub, fanout]) expect(await storageOf(id)).toEqual({ keys: 0, alarm: null });
    const hosts = await purgedHosts();
    expect(hosts).toEqual(
      expect.arrayContaining([
        stepHostName({ run_id: sub, step_id: "inner", attempt: 1 }),
        stepHostName({ run_id: sub, step_id: "inner", attempt: 2 }),
        // Concurrency 2: the three items ran in two shared hosts.
        ...fanoutHosts(fanout, 2),
      ]),
    );
    // Read back like a run that never existed.
    for (const path of [`/runs/${root}`, `/runs/${encodeURIComponent(sub)}`, `/runs/${root}/envelope`, `/runs/${fanout}`]) {
      expect((await get(path)).status).toBe(404);
    }
    expect((await SELF.fetch(`https://ktsu.test/runs/${root}/events`)).status).toBe(404);
  });

  it("keeps a recent ended run and old runs still running, waiting on an approval or on a person", async () => {
    const recent = await start("agent-free", { script: script({ output: { ok: true } }) });
    expect((await settled(recent)).run.status).toBe("complete");
    const running = await start("agent-free", { script: script({ hang: true }) });
    await waitForStep(running, "a", "running");
    const approving = await start("agent-free", { script: approvalScript });
    await waitForStep(approving, "a", "pending_approval");
    const halted = await start("agent-free", { script: script({ output: { ktsu_needs_human: true } }) });
    expect((await settled(halted)).run.status).toBe("needs_human");
    // An old running run the Store shows as ended (a mirror that got ahead): its own object has the last word.
    const misreported = await start("agent-free", { script: script({ hang: true }) });
    await waitForStep(misreported, "a", "running");

    const old = new Date(Date.now() - 365 * DAY_MS).toISOString();
    for (const id of [running, approving, halted, misreported]) await age(id, old);
    await env.DB.prepare("UPDATE runs SET status = 'complete' WHERE id = ?").bind(misreported).run();
    const before = await Promise.all([recent, running, approving, halted, misreported].map(rowCounts));

    const result = await purgeExpiredRuns(retaining("30"));
    expect(result.kept).toBeGreaterThanOrEqual(1);

    expect(await Promise.all([recent, running, approving, halted, misreported].map(rowCounts))).toEqual(before);
    for (const id of [recent, running, approving, halted, misreported]) {
      expect((await get(`/runs/${id}`)).status).toBe(200);
      expect((await storageOf(id)).keys).toBeGreaterThan(0);
    }
  });

  it("drains a backlog in bounded passes, oldest first, and carries a run with many hosts over several calls", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await start("agent-free", { script: script({ output: { n: i } }) }));
    for (const id of ids) expect((await settled(id)).run.status).toBe("complete");
    // Older than anything else in the Store, so these are the first candidates.
    for (const [i, id] of ids.entries()) await age(id, `1990-01-0${i + 1}T00:00:00.000Z`);
    const present = async () => Promise.all(ids.map(async (id) => ((await rowCounts(id)).runs ?? 0) > 0));

    const first = await purgeExpiredRuns(retaining("1"), { runs: 2 });
    expect(first.deleted).toBe(2);
    expect(await present()).toEqual([false, false, true, true, true]);
    await purgeExpiredRuns(retaining("1"), { runs: 2 });
    expect(await present()).toEqual([false, false, false, false, true]);
    await purgeExpiredRuns(retaining("1"), { runs: 2 });
    expect(await present()).toEqual([false, false, false, false, false]);

    // A fanout's two hosts (concurrency 16) erased one per call: the object keeps its state until the last one is.
    const fanout = await start("fanout-wide", { items: Array.from({ length: 17 }, () => ({ script: script({ output: { ok: true } }) })) });
    expect((await settled(fanout)).run.status).toBe("complete");
    const limits = { hostsPerRequest: 1, requestsPerCall: 1 };
    const outcomes = [];
    for (let call = 0; call < 3; call++) outcomes.push(await runStub(env, fanout).purge({ limits }));
    expect(outcomes).toEqual(["more", "done", "done"]);
    expect(await storageOf(fanout)).toEqual({ keys: 0, alarm: null });
    const erased = (await purgedHosts()).filter((h) => h.startsWith(JSON.stringify([fanout]).slice(0, -1)));
    expect(erased).toEqual(fanoutHosts(fanout, 16));
  });

  it("deletes expired idempotency keys and keeps live ones; without the setting no run is deleted", async () => {
    const store = openStore(env);
    const expired = { scope: `scope-old-${crypto.randomUUID()}`, runId: "run_0000000000000001", bodyHash: "h" };
    const live = { scope: `scope-live-${crypto.randomUUID()}`, runId: "run_0000000000000002", bodyHash: "h" };
    await store.claimIdempotencyKey(expired);
    await store.claimIdempotencyKey(live);
    const setCreated = (scope: string, daysAgo: number) =>
      env.DB.prepare("UPDATE idempotency_keys SET created_at = ? WHERE scope = ?")
        .bind(new Date(Date.now() - daysAgo * DAY_MS).toISOString(), scope)
        .run();
    await setCreated(expired.scope, 15);
    await setCreated(live.scope, 13);
    const ended = await start("agent-free", { script: script({ output: { ok: true } }) });
    expect((await settled(ended)).run.status).toBe("complete");
    await age(ended, "1980-01-01T00:00:00.000Z");

    // The test env sets no KTSU_RUN_RETENTION_DAYS: runs are kept forever, keys still expire.
    const result = await purgeExpiredRuns(env);
    expect(result.deleted).toBe(0);
    expect(result.keys).toBeGreaterThanOrEqual(1);
    const scopes = (await env.DB.prepare("SELECT scope FROM idempotency_keys WHERE scope IN (?, ?)").bind(expired.scope, live.scope).all<{ scope: string }>())
      .results;
    expect(scopes.map((r) => r.scope)).toEqual([live.scope]);
    expect((await rowCounts(ended)).runs).toBe(1);
    // An invalid setting deletes no run either.
    expect((await purgeExpiredRuns(retaining("thirty"))).deleted).toBe(0);
    expect((await rowCounts(ended)).runs).toBe(1);
  });
});
