import { SELF, abortAllDurableObjects, env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runIdForKey } from "../../../workers/orchestrator/src/idempotency.ts";
import { runStub } from "../../../workers/orchestrator/src/run/stub.ts";
import { eventually, get, script, settled, sinkCalls, sinkDelay, sinkStatus, start, step, type RunView } from "./helpers.ts";

/** How many runs D1 holds under an idempotency key. */
async function runRowsFor(key: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM runs WHERE idempotency_key = ?").bind(key).first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * How many times the sink received a webhook step's request: a redelivered message that started
 * its run again would send it again. (A second D1 row is impossible: the run id derives from the key.)
 */
async function deliveries(runId: string, stepId: string): Promise<number> {
  return (await sinkCalls()).filter((c) => c.headers["idempotency-key"] === `${runId}/${stepId}`).length;
}

describe("a run survives its Durable Object being evicted", () => {
  it("an agent step in flight completes after the eviction (state reloaded from storage)", async () => {
    const runId = await start("parallel", { script_a: script({ output: { a: 1 }, delay_ms: 800 }), script_b: script({ output: { b: 2 } }) });
    await eventually(async () => ((await get<RunView>(`/runs/${runId}`)).body.steps?.find((s) => s.id === "b")?.status === "complete" ? true : undefined));
    await evictDurableObject(runStub(env, runId));
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "joined").output).toEqual({ result: { a: 1, b: 2 } });
  });

  it("a webhook lost with the evicted object is re-sent by the alarm with the same idempotency key", async () => {
    await sinkDelay("/slow", 1500);
    const runId = await start("webhook-slow");
    const key = `${runId}/slow_hook`;
    await eventually(async () => ((await sinkCalls()).some((c) => c.headers["idempotency-key"] === key) ? true : undefined));
    const stub = runStub(env, runId);
    // A crash mid-request: the object and its in-flight webhook are gone.
    await abortAllDurableObjects();
    await sinkDelay("/slow", 0);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "done").output).toEqual({ result: { sent: true, status_code: 200 } });
    // Delivered twice (the first reply was lost with the object), both with the same key.
    const deliveries = (await sinkCalls()).filter((c) => c.headers["idempotency-key"] === key);
    expect(deliveries).toHaveLength(2);
  });
});

describe("queue-triggered runs", () => {
  it("a message starts a run with the same validation, and redelivery never creates a second run", async () => {
    const key = `order-${crypto.randomUUID()}`;
    const message = { workflow: "webhook", params: { n: 1 }, idempotency_key: key };
    const later = `later-${crypto.randomUUID()}`;
    // The message, its redelivery, then another message: the consumer takes a batch's messages
    // in order, so once the later message's run has ended the redelivery has long been handled.
    await env.RUN_QUEUE.sendBatch([message, message, { workflow: "webhook", params: { n: 2 }, idempotency_key: later }].map((body) => ({ body })));
    const runId = await runIdForKey({ workflow: "webhook", key });
    const view = await eventually(async () => {
      const { status, body } = await get<RunView>(`/runs/${runId}`);
      return status === 200 && body.run.status === "complete" ? body : undefined;
    });
    expect(view.run.metadata).toMatchObject({ source: "queue" });
    expect(step(view, "notify").status).toBe("complete");
    await settled(await runIdForKey({ workflow: "webhook", key: later }));
    expect(await runRowsFor(key)).toBe(1);
    expect(await deliveries(runId, "notify")).toBe(1);
  });

  it("an invalid message is acknowledged and recorded as a failed run, not retried", async () => {
    const key = `bad-${crypto.randomUUID()}`;
    await env.RUN_QUEUE.send({ workflow: "agent-strict", params: {}, idempotency_key: key });
    const runId = await runIdForKey({ workflow: "agent-strict", key });
    const view = await eventually(async () => {
      const { status, body } = await get<RunView>(`/runs/${runId}`);
      return status === 200 ? body : undefined;
    });
    expect(view.run.status).toBe("failed");
    expect(view.run.error).toBe('queue message rejected: input missing required field "script"');
    expect(view.steps).toBeNull();
  });
});

describe("secret scrubbing", () => {
  it("secret env values and secret params never reach D1 rows or API responses", async () => {
    const password = "hunter2-pass-5521";
    const token = "api-token-secret-77d1e0";
    await sinkStatus(`/fail/${token}/${password}`, 500);
    const runId = await start("secrets", { password, note: `note with ${password} inside` });
    const view = await settled(runId);
    expect(view.run.status).toBe("failed");
    expect(step(view, "leak").error).toContain("[REDACTED]");

    const responses = [
      JSON.stringify(view),
      JSON.stringify((await get(`/runs/${runId}/envelope`)).body),
      JSON.stringify((await get(`/runs?workflow=secrets`)).body),
    ];
    const tables = ["runs", "steps", "events", "approvals"];
    for (const table of tables) {
      const { results } = await env.DB.prepare(`SELECT * FROM ${table}`).all();
      responses.push(JSON.stringify(results));
    }
    for (const text of responses) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(token);
    }
    // The scan is meaningful: the masked values did land in those places.
    expect(responses.join("\n")).toContain("note with [REDACTED] inside");
  });
});

describe("the cron sweep", () => {
  it("re-arms the alarm of a running run whose alarm was lost, and the run then finishes", async () => {
    const runId = await start("agent-free", { script: script({ hang: true, heartbeat: false }) });
    const stub = runStub(env, runId);
    await eventually(async () => ((await get<RunView>(`/runs/${runId}`)).body.steps?.[0]?.status === "running" ? true : undefined));
    // Lose the alarm, and make the run look stale to the sweep.
    await runInDurableObject(stub, async (_instance, state) => {
      await state.storage.deleteAlarm();
    });
    await env.DB.prepare("UPDATE runs SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(runId).run();
    const { sweepStaleRuns } = await import("../../../workers/orchestrator/src/sweep.ts");
    const result = await sweepStaleRuns(env);
    expect(result.rearmed).toBeGreaterThanOrEqual(1);
    // Without an alarm nothing would ever fail the run; the re-armed one does, at the heartbeat deadline.
    const view = await settled(runId);
    expect(view.run.status).toBe("failed");
    expect(view.run.error).toMatch(/no heartbeat/);
  });
});

describe("secret params at rest", () => {
  it("are encrypted in the run's Durable Object storage and still usable by the run after an eviction", async () => {
    const password = "at-rest-secret-8812";
    await sinkStatus(`/fail/api-token-secret-77d1e0/${password}`, 200);
    const runId = await start("secrets", { password, note: "n" });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete"); // the URL was built with the real value
    const stub = runStub(env, runId);
    const dump = await runInDurableObject(stub, async (_instance, state) => JSON.stringify([...(await state.storage.list()).entries()]));
    expect(dump).not.toContain(password);
    expect(dump).toContain('"sealed":"v1.');
    // A fresh instance decrypts the state it needs.
    await evictDurableObject(stub);
    const events = await get<{ run: { status: string } }>(`/runs/${runId}`);
    expect(events.body.run.status).toBe("complete");
    const calls = (await sinkCalls()).filter((c) => c.path === `/fail/api-token-secret-77d1e0/${password}`);
    expect(calls).toHaveLength(1);
  });
});

describe("POST /enqueue/{workflow}", () => {
  it("checks like /invoke, queues the run, and a retried enqueue with the same Idempotency-Key starts one run", async () => {
    const key = `enq-${crypto.randomUUID()}`;
    const send = () => SELF.fetch("https://ktsu.test/enqueue/webhook", { method: "POST", headers: { "idempotency-key": key }, body: JSON.stringify({ n: 3 }) });
    const first = await send();
    expect(first.status).toBe(202);
    const body = (await first.json()) as { run_id: string; status: string };
    expect(body).toEqual({ run_id: await runIdForKey({ workflow: "webhook", key }), status: "queued", idempotency_key: key });
    expect((await send()).status).toBe(202);
    const view = await eventually(async () => {
      const { status, body: v } = await get<RunView>(`/runs/${body.run_id}`);
      return status === 200 && v.run.status === "complete" ? v : undefined;
    });
    expect(view.run.metadata).toMatchObject({ source: "queue" });
    // Another enqueue after the retried one: once its run exists, the queue has handled both of ours.
    const later = `enq-later-${crypto.randomUUID()}`;
    const after = await SELF.fetch("https://ktsu.test/enqueue/webhook", {
      method: "POST",
      headers: { "idempotency-key": later },
      body: JSON.stringify({ n: 4 }),
    });
    expect(after.status).toBe(202);
    await settled(await runIdForKey({ workflow: "webhook", key: later }));
    expect(await runRowsFor(key)).toBe(1);
    expect(await deliveries(body.run_id, "notify")).toBe(1);
    const refused = await SELF.fetch("https://ktsu.test/enqueue/agent-strict", { method: "POST", body: "{}" });
    expect(refused.status).toBe(422);
  });
});
