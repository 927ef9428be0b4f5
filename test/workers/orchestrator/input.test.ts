// Input the API must refuse or keep apart rather than guess at: idempotency keys in their key
// space (workflow, credential) and bound to their body, names that are Object.prototype's
// members, bytes that are not UTF-8, numbers JSON cannot hold, and query values that are no
// numbers.
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../../workers/orchestrator/src/api/app.ts";
import { runIdForKey } from "../../../workers/orchestrator/src/idempotency.ts";
import { eventually, get, script, settled, start, type RunView } from "./helpers.ts";

const BASE = "https://ktsu.test";

function enqueue(workflow: string, key: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/enqueue/${workflow}`, { method: "POST", headers: { "idempotency-key": key, ...headers }, body });
}

async function queuedRunId(res: Response): Promise<string> {
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { run_id: string }).run_id;
}

/** Waits until the queue has started a run and it has ended. */
async function ended(runId: string): Promise<RunView> {
  return eventually(async () => {
    const { status, body } = await get<RunView>(`/runs/${runId}`);
    return status === 200 && body.run.status !== "running" && body.run.status !== "pending" ? body : undefined;
  });
}

const bearer = { authorization: `Bearer ${env.INVOKE_SECRET}` };

describe("idempotency keys", () => {
  it("count within their workflow: the same key on an open and on an authenticated workflow starts both runs", async () => {
    const key = `shared-${crypto.randomUUID()}`;
    const open = await queuedRunId(await enqueue("conditions", key, JSON.stringify({ flag: true })));
    const secured = await queuedRunId(await enqueue("secure", key, "{}", bearer));
    expect(secured).not.toBe(open);
    expect((await ended(open)).run).toMatchObject({ workflow_name: "conditions", status: "complete" });
    expect((await ended(secured)).run).toMatchObject({ workflow_name: "secure", status: "complete" });
  });

  it("count within the caller's credential: another invoke.auth secret is another key space", async () => {
    const key = `cred-${crypto.randomUUID()}`;
    const send = async (secret: string) => {
      const res = await app.request(
        `${BASE}/enqueue/secure`,
        { method: "POST", headers: { "idempotency-key": key, authorization: `Bearer ${secret}` }, body: "{}" },
        { ...env, INVOKE_SECRET: secret },
      );
      return queuedRunId(res);
    };
    const first = await send("first-secret-1a2b");
    expect(await send("first-secret-1a2b")).toBe(first);
    expect(await send("second-secret-3c4d")).not.toBe(first);
    // Neither the key nor the credential is stored.
    const stored = await env.DB.prepare("SELECT * FROM idempotency_keys").all();
    expect(JSON.stringify(stored.results)).not.toContain(key);
    expect(JSON.stringify(stored.results)).not.toContain("first-secret-1a2b");
  });

  it("the same key with the same body (in any key order) names the same run; with another body it is a 409 naming the key", async () => {
    const key = `body-${crypto.randomUUID()}`;
    const first = await queuedRunId(await enqueue("webhook", key, JSON.stringify({ n: 11, fail: false })));
    expect(first).toBe(await runIdForKey({ workflow: "webhook", key }));
    expect(await queuedRunId(await enqueue("webhook", key, JSON.stringify({ fail: false, n: 11 })))).toBe(first);
    const conflict = await enqueue("webhook", key, JSON.stringify({ n: 12 }));
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: "conflict", message: `Idempotency-Key "${key}" was already used with a different request body` });
    expect((await ended(first)).run.payload).toEqual({ n: 11, fail: false });
  });

  it("a queue message reusing a key with other params is recorded as refused; the first run keeps its params", async () => {
    const key = `msg-${crypto.randomUUID()}`;
    const later = `msg-later-${crypto.randomUUID()}`;
    await env.RUN_QUEUE.sendBatch(
      [
        { workflow: "webhook", params: { n: 21 }, idempotency_key: key },
        { workflow: "webhook", params: { n: 22 }, idempotency_key: key },
        { workflow: "webhook", params: { n: 23 }, idempotency_key: later },
      ].map((body) => ({ body })),
    );
    const runId = await runIdForKey({ workflow: "webhook", key });
    // The consumer takes a batch in order: once the last message's run has ended, the second was handled.
    await ended(await runIdForKey({ workflow: "webhook", key: later }));
    expect((await ended(runId)).run).toMatchObject({ status: "complete", payload: { n: 21 } });
    const { body } = await get<{ runs: RunView["run"][] }>("/runs?workflow=webhook&status=failed&limit=1000");
    const refused = body.runs.filter((r) => r.error === `queue message rejected: Idempotency-Key "${key}" was already used with a different request body`);
    expect(refused).toHaveLength(1);
  });

  it("an enqueue and a queue message with the same key and params on an open workflow name one run", async () => {
    const key = `both-${crypto.randomUUID()}`;
    const runId = await queuedRunId(await enqueue("conditions", key, JSON.stringify({ flag: false })));
    await env.RUN_QUEUE.send({ workflow: "conditions", params: { flag: false }, idempotency_key: key });
    expect(runId).toBe(await runIdForKey({ workflow: "conditions", key }));
    expect((await ended(runId)).run.status).toBe("complete");
  });
});

/** Names that a lookup on a plain object would find on Object.prototype. */
const PROTOTYPE_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty"];

describe("names that are Object.prototype's members", () => {
  it("are unknown workflows: 404 to invoke, enqueue and the viewer's graph", async () => {
    for (const name of PROTOTYPE_NAMES) {
      const notFound = { error: "not_found", message: `workflow not found: ${name}` };
      for (const route of ["invoke", "enqueue"]) {
        const res = await SELF.fetch(`${BASE}/${route}/${name}`, { method: "POST", body: "{}" });
        expect(res.status, `${route} ${name}`).toBe(404);
        expect(await res.json()).toEqual(notFound);
      }
      const graph = await SELF.fetch(`${BASE}/workflows/${name}/graph`);
      expect(graph.status, `graph ${name}`).toBe(404);
      expect(await graph.json()).toEqual(notFound);
    }
  });

  it("are unknown steps to the approval routes: 404, never 500", async () => {
    const waiting = await start("agent-free", {
      script: script({
        status: "pending_approval",
        pending_approval: { tool_name: "t", tool_use_id: "call_1", arguments: {}, on_reject: "fail", timeout_ms: 0, timeout_behavior: "fail" },
        messages: [{ role: "user", content: "u" }],
      }),
    });
    await eventually(async () =>
      (await get<RunView>(`/runs/${waiting}`)).body.steps?.find((s) => s.id === "a")?.status === "pending_approval" ? true : undefined,
    );
    const done = await start("conditions", { flag: true });
    await settled(done);
    for (const runId of [waiting, done]) {
      for (const name of PROTOTYPE_NAMES) {
        const read = await SELF.fetch(`${BASE}/runs/${runId}/steps/${name}/approval`);
        expect(read.status, `${runId} ${name}`).toBe(404);
        const decide = await SELF.fetch(`${BASE}/runs/${runId}/steps/${name}/approval/decide`, {
          method: "POST",
          body: JSON.stringify({ decision: "approved" }),
        });
        expect(decide.status, `${runId} ${name} decide`).toBe(404);
        expect(await decide.json()).toEqual({ error: "not_found", message: "approval not found" });
      }
    }
  });
});

describe("bad input is refused, not coerced", () => {
  it("a body that is not UTF-8: 400 saying so", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"flag":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    for (const route of ["invoke", "enqueue"]) {
      const res = await SELF.fetch(`${BASE}/${route}/conditions`, { method: "POST", body: bytes });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "invalid_request", message: "request body is not valid UTF-8" });
    }
  });

  it("a number out of range: 400 naming the field", async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['{"flag":1e400}', { message: 'field "flag": number out of range', field: "flag" }],
      ['{"a":{"b":[1,-1e999]}}', { message: 'field "a.b[1]": number out of range', field: "a.b[1]" }],
      // No exponent: 309 integer digits are past a double's range too.
      [`{"big":2${"0".repeat(308)}.5}`, { message: 'field "big": number out of range', field: "big" }],
      [`{"small":0.${"0".repeat(400)}1,"big":-${"9".repeat(309)}}`, { message: 'field "big": number out of range', field: "big" }],
    ];
    for (const [body, expected] of cases) {
      const res = await SELF.fetch(`${BASE}/invoke/conditions`, { method: "POST", body });
      expect(res.status, body).toBe(400);
      expect(await res.json()).toEqual({ error: "invalid_request", ...expected });
    }
  });

  it("a missing or blank body is still {}", async () => {
    for (const body of [undefined, "", "  \n"]) {
      const res = await SELF.fetch(`${BASE}/invoke/conditions`, { method: "POST", ...(body === undefined ? {} : { body }) });
      expect(res.status).toBe(202);
      const { run_id } = (await res.json()) as { run_id: string };
      expect((await get<RunView>(`/runs/${run_id}`)).body.run.payload ?? {}).toEqual({});
    }
  });

  it("/runs?limit= other than an integer from 1 to 1000: 400 naming limit", async () => {
    for (const limit of ["-1", "0", "abc", "2.5", "1001", "", "1e2"]) {
      const res = await SELF.fetch(`${BASE}/runs?limit=${encodeURIComponent(limit)}`);
      expect(res.status, limit).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_request", field: "limit" });
    }
    expect((await get<{ runs: unknown[] }>("/runs?limit=1000")).status).toBe(200);
  });

  it("an event id that is no sequence number: 400, not a replay of everything", async () => {
    const runId = await start("conditions", { flag: true });
    await settled(runId);
    const byHeader = await SELF.fetch(`${BASE}/runs/${runId}/events`, { headers: { "last-event-id": "abc" } });
    expect(byHeader.status).toBe(400);
    expect(await byHeader.json()).toMatchObject({ error: "invalid_request", field: "last-event-id" });
    for (const after of ["abc", "-1", "1.5"]) {
      const byQuery = await SELF.fetch(`${BASE}/runs/${runId}/events?after=${after}`);
      expect(byQuery.status, after).toBe(400);
      expect(await byQuery.json()).toMatchObject({ error: "invalid_request", field: "after" });
    }
  });
});
