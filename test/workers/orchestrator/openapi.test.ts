// The OpenAPI document against the real API: every route the app serves is documented, and
// every documented route is called with real requests (its happy path and each error status it
// can reach); each answer's status, content type and body must be what the document says for
// that route and status. A status no test reaches must be listed, with why, in UNREACHED.
import { SELF, env } from "cloudflare:test";
import { Validator, type Schema } from "@cfworker/json-schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../../workers/orchestrator/src/api/app.ts";
import { LATEST_MIGRATION } from "../../../workers/orchestrator/src/store/readiness.ts";
import { eventually, gatedDeleteScript, get, script, settled, start, type RunView } from "./helpers.ts";

const BASE = "https://ktsu.test";

interface MediaType {
  schema?: Schema;
}
interface ResponseSpec {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseSpec>;
}
interface OpenApi {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let doc: OpenApi;
/** `METHOD /path/{param} STATUS` of every answer checked against the document. */
const seen = new Set<string>();

/**
 * Documented statuses no request here can provoke. Each must stay documented (the API can
 * answer it) and must not be reached by these tests (else it belongs in the checks).
 */
const UNREACHED: Record<string, string> = {
  "POST /invoke/{workflow} 503":
    "the run's Durable Object writes the run to its own D1 binding, which app.request cannot swap: test/stack/readiness.test.ts invokes before the migrations",
  "POST /runs/{run_id}/steps/{step_id}/approval/decide 503": "the decision is applied by the run's Durable Object on its own D1 binding (as for invoke)",
};

beforeAll(async () => {
  const res = await SELF.fetch(`${BASE}/openapi.json`);
  expect(res.status).toBe(200);
  const copy = res.clone();
  doc = (await res.json()) as OpenApi;
  await conforms("get", "/openapi.json", copy);
});

/** Validates a JSON value against a schema of the document (its `$ref`s resolve into its components). */
function validate(schema: Schema, value: unknown): string[] {
  const root = { ...schema, components: doc.components } as Schema;
  const result = new Validator(root, "2020-12", false).validate(value);
  return result.errors.map((e) => `${e.instanceLocation}: ${e.error}`);
}

/** Reads the Server-Sent Events of a stream that ends (the run has ended): each event's data. */
function sseData(text: string): unknown[] {
  return text
    .split("\n\n")
    .map((block) => block.split("\n").filter((line) => line.startsWith("data: ")))
    .filter((lines) => lines.length > 0)
    .map((lines) => JSON.parse(lines.map((l) => l.slice("data: ".length)).join("\n")));
}

/**
 * Checks one real answer against the document: the status is documented for the route, the
 * content type is one the document gives (or none when it gives none), and the body fits the
 * schema. Returns the body (parsed JSON, SSE data, or text).
 */
async function conforms(method: string, template: string, res: Response): Promise<unknown> {
  const operation = doc.paths[template]?.[method];
  expect(operation, `${method.toUpperCase()} ${template} is not in the document`).toBeDefined();
  const spec = operation!.responses[String(res.status)];
  const text = await res.text();
  expect(spec, `${method.toUpperCase()} ${template} answered ${res.status}, which the document does not list: ${text.slice(0, 300)}`).toBeDefined();
  seen.add(`${method.toUpperCase()} ${template} ${res.status}`);
  const contentType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  const declared = Object.keys(spec!.content ?? {});
  if (declared.length === 0) {
    expect(text, `${method.toUpperCase()} ${template} ${res.status} has no documented body`).toBe("");
    return text;
  }
  expect(declared, `${method.toUpperCase()} ${template} ${res.status} answered ${contentType}`).toContain(contentType);
  const schema = spec!.content![contentType]!.schema!;
  if (contentType === "application/json") {
    const body: unknown = JSON.parse(text);
    expect(validate(schema, body), `${method.toUpperCase()} ${template} ${res.status}: ${text.slice(0, 500)}`).toEqual([]);
    return body;
  }
  if (contentType === "text/event-stream") {
    const events = sseData(text);
    for (const event of events) expect(validate({ $ref: "#/components/schemas/RunEvent" }, event), JSON.stringify(event)).toEqual([]);
    return events;
  }
  return text;
}

async function call(method: string, template: string, path: string, init: RequestInit = {}): Promise<unknown> {
  return conforms(method, template, await SELF.fetch(`${BASE}${path}`, { method: method.toUpperCase(), ...init }));
}

/** The same app with other bindings (an admin token set, a Worker down, a secret missing): a real request, another configuration. */
async function callWith(bindings: Record<string, unknown>, method: string, template: string, path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await app.request(`${BASE}${path}`, { method: method.toUpperCase(), ...init }, { ...env, ...bindings });
  return conforms(method, template, res);
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const MISSING_RUN = "run_0000000000000000";

describe("the OpenAPI document", () => {
  it("documents exactly the routes the app serves, has servers, and says which routes are public", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers.length).toBeGreaterThan(0);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    // Every route the app registers (middleware and the viewer's static files aside), in OpenAPI form.
    const served = [
      ...new Set(app.routes.filter((r) => r.method !== "ALL" && !r.path.startsWith("/ui")).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`)),
    ];
    expect(documented.sort()).toEqual(served.sort());
  });
});

describe("every route answers as documented", () => {
  it("GET /health: 200 when every Worker is ok, 503 when one is down", async () => {
    expect(await call("get", "/health", "/health")).toMatchObject({ status: "ok" });
    const down = { fetch: () => Promise.reject(new Error("unreachable")) };
    expect(await callWith({ RUNTIME: down }, "get", "/health", "/health")).toMatchObject({ status: "error", services: { runtime: "down" } });
  });

  it("GET /: redirects to the viewer", async () => {
    const res = await SELF.fetch(`${BASE}/`, { redirect: "manual" });
    expect(res.headers.get("location")).toBe("/ui/");
    await conforms("get", "/", res);
  });

  for (const [route, accepted] of [
    ["invoke", { status: "accepted" }],
    ["enqueue", { status: "queued", idempotency_key: "contract-key-1" }],
  ] as const) {
    const template = `/${route}/{workflow}`;
    it(`POST ${template}: 202, and 400, 401, 404, 409 (enqueue), 413, 422, 500 as documented`, async () => {
      expect(await call("post", template, `/${route}/conditions`, json({ flag: true }, { "idempotency-key": "contract-key-1" }))).toMatchObject(accepted);
      expect(await call("post", template, `/${route}/conditions`, json("{not json"))).toMatchObject({ error: "invalid_request" });
      expect(await call("post", template, `/${route}/conditions`, json("[1,2]"))).toMatchObject({ message: "request body must be a JSON object" });
      expect(await call("post", template, `/${route}/secure`, json({}))).toEqual({ error: "unauthorized" });
      expect(await call("post", template, `/${route}/nope`, json({}))).toEqual({ error: "not_found", message: "workflow not found: nope" });
      expect(await call("post", template, `/${route}/conditions`, json({ blob: "x".repeat(1024 * 1024 + 10) }))).toMatchObject({ error: "payload_too_large" });
      expect(await call("post", template, `/${route}/agent-strict`, json({}))).toMatchObject({ error: "invalid_input", field: "script" });
      // invoke.auth whose secret names an unset variable: the server is misconfigured.
      expect(await callWith({ INVOKE_SECRET: undefined }, "post", template, `/${route}/secure`, json({}))).toMatchObject({ error: "server misconfiguration" });
      expect(await call("post", template, `/${route}/conditions`, json('{"flag":1e400}'))).toMatchObject({ field: "flag" });
      if (route === "enqueue") {
        // The key of the 202 above, with another body.
        expect(await call("post", template, `/${route}/conditions`, json({ flag: false }, { "idempotency-key": "contract-key-1" }))).toMatchObject({
          error: "conflict",
        });
      }
    });
  }

  describe("the admin routes", () => {
    let runId: string;
    let approvalRun: string;

    beforeAll(async () => {
      runId = await start("conditions", { flag: true });
      await settled(runId);
      approvalRun = await start("agent-free", { script: gatedDeleteScript() });
      await eventually(async () => {
        const { body } = await get<RunView>(`/runs/${approvalRun}`);
        return body.steps?.find((s) => s.id === "a")?.status === "pending_approval" ? true : undefined;
      });
    });

    const ADMIN = { KTSU_ADMIN_TOKEN: "admin-token-3c1f" };
    const bearer = { headers: { authorization: "Bearer admin-token-3c1f" } };

    it("each answers 401 without the admin token when one is set, and serves it with the token", async () => {
      const routes: Array<[string, string, string, RequestInit?]> = [
        ["get", "/runs", "/runs"],
        ["get", "/runs/{run_id}", `/runs/${runId}`],
        ["get", "/runs/{run_id}/envelope", `/runs/${runId}/envelope`],
        ["get", "/runs/{run_id}/events", `/runs/${runId}/events`],
        ["get", "/runs/{run_id}/steps/{step_id}/items", `/runs/${runId}/steps/each/items`],
        ["get", "/runs/{run_id}/steps/{step_id}/approval", `/runs/${approvalRun}/steps/a/approval`],
        ["post", "/runs/{run_id}/steps/{step_id}/approval/decide", `/runs/${approvalRun}/steps/a/approval/decide`, json({ decision: "maybe" })],
        ["post", "/runs/{run_id}/cancel", `/runs/${MISSING_RUN}/cancel`],
        ["get", "/approvals", "/approvals"],
        ["get", "/workflows", "/workflows"],
        ["get", "/workflows/{name}/graph", "/workflows/conditions/graph"],
      ];
      for (const [method, template, path, init] of routes) {
        expect(await callWith(ADMIN, method, template, path, init), path).toMatchObject({ error: "unauthorized" });
        const wrong = await app.request(
          `${BASE}${path}`,
          { method: method.toUpperCase(), ...init, headers: { authorization: "Bearer nope" } },
          { ...env, ...ADMIN },
        );
        expect(wrong.status, path).toBe(401);
      }
      const allowed = await app.request(`${BASE}/runs`, bearer, { ...env, ...ADMIN });
      expect(((await conforms("get", "/runs", allowed)) as { runs: unknown[] }).runs.length).toBeGreaterThan(0);
    });

    it("GET /runs, /runs/{run_id}, its envelope: 200, 400 and 404", async () => {
      const list = (await call("get", "/runs", "/runs?workflow=conditions&limit=5")) as { runs: Array<{ id: string }> };
      expect(list.runs.map((r) => r.id)).toContain(runId);
      expect(await call("get", "/runs", "/runs?status=bogus")).toEqual({ runs: [] });
      // A repeated parameter counts with its first value, as before the schemas.
      expect(((await call("get", "/runs", "/runs?limit=1&limit=7")) as { runs: unknown[] }).runs).toHaveLength(1);
      expect(await call("get", "/runs", "/runs?limit=0")).toMatchObject({ error: "invalid_request", field: "limit" });
      expect(await call("get", "/runs/{run_id}", `/runs/${runId}`)).toMatchObject({ run: { id: runId, status: "complete" } });
      // A step waiting for a decision shows the approval.
      const waiting = (await call("get", "/runs/{run_id}", `/runs/${approvalRun}`)) as RunView;
      expect(waiting.steps?.find((s) => s.id === "a")).toMatchObject({ pending_approval: { tool_name: "delete_user", status: "pending" } });
      expect(await call("get", "/runs/{run_id}", `/runs/${MISSING_RUN}`)).toEqual({ error: "not_found", message: "run not found" });
      expect(await call("get", "/runs/{run_id}/envelope", `/runs/${runId}/envelope`)).toMatchObject({ run_id: runId, workflow: "conditions" });
      expect(await call("get", "/runs/{run_id}/envelope", `/runs/${MISSING_RUN}/envelope`)).toEqual({ error: "not_found", message: "run not found" });
    });

    it("GET /runs/{run_id}/steps/{step_id}/items: 200, 400 and 404", async () => {
      const template = "/runs/{run_id}/steps/{step_id}/items";
      const fan = await start("fanout", { items: [{ script: { output: { i: 0 } } }, { script: { output: { i: 1 } } }] });
      await settled(fan);
      expect(await call("get", template, `/runs/${fan}/steps/each/items?limit=1`)).toMatchObject({
        step_id: "each",
        total: 2,
        items: [{ index: 0, status: "ok", output: { i: 0 } }],
        next_cursor: "1",
      });
      expect(await call("get", template, `/runs/${fan}/steps/each/items?cursor=1`)).toMatchObject({
        items: [{ index: 1, output: { i: 1 } }],
        next_cursor: null,
      });
      expect(await call("get", template, `/runs/${fan}/steps/each/items?cursor=x`)).toMatchObject({ error: "invalid_request", field: "cursor" });
      expect(await call("get", template, `/runs/${fan}/steps/each/items?cursor=3`)).toMatchObject({ error: "invalid_request" });
      expect(await call("get", template, `/runs/${fan}/steps/nope/items`)).toEqual({ error: "not_found", message: 'step "nope" not found in this run' });
      expect(await call("get", template, `/runs/${MISSING_RUN}/steps/each/items`)).toEqual({ error: "not_found", message: "run not found" });
    });

    it("GET /runs/{run_id}/events: every event is a RunEvent; Last-Event-ID and ?after= resume after it; 400; 404", async () => {
      const events = (await call("get", "/runs/{run_id}/events", `/runs/${runId}/events`)) as Array<{ seq: number; type: string }>;
      expect(events.map((e) => e.type)).toContain("run_completed");
      const after = events[1]!.seq;
      const byQuery = (await call("get", "/runs/{run_id}/events", `/runs/${runId}/events?after=${after}`)) as Array<{ seq: number }>;
      expect(byQuery.map((e) => e.seq)).toEqual(events.filter((e) => e.seq > after).map((e) => e.seq));
      const byHeader = (await call("get", "/runs/{run_id}/events", `/runs/${runId}/events?after=0`, { headers: { "last-event-id": String(after) } })) as Array<{
        seq: number;
      }>;
      expect(byHeader.map((e) => e.seq)).toEqual(byQuery.map((e) => e.seq));
      expect(await call("get", "/runs/{run_id}/events", `/runs/${runId}/events?after=abc`)).toMatchObject({ error: "invalid_request", field: "after" });
      expect(await call("get", "/runs/{run_id}/events", `/runs/${MISSING_RUN}/events`)).toEqual({ error: "not_found", message: "run not found" });
    });

    it("approvals: list, read, decide (400, 404, 200, then 409)", async () => {
      const pending = (await call("get", "/approvals", "/approvals")) as Array<{ run_id: string }>;
      expect(pending.map((a) => a.run_id)).toContain(approvalRun);
      const template = "/runs/{run_id}/steps/{step_id}/approval";
      expect(await call("get", template, `/runs/${approvalRun}/steps/a/approval`)).toMatchObject({ run_id: approvalRun, step_id: "a", status: "pending" });
      expect(await call("get", template, `/runs/${runId}/steps/nope/approval`)).toEqual({ error: "not_found", message: "approval not found" });
      const decide = `${template}/decide`;
      expect(await call("post", decide, `/runs/${approvalRun}/steps/a/approval/decide`, json({ decision: "maybe" }))).toMatchObject({
        error: "invalid_request",
      });
      expect(await call("post", decide, `/runs/${approvalRun}/steps/a/approval/decide`, json("{bad"))).toMatchObject({ error: "invalid_request" });
      expect(await call("post", decide, `/runs/${runId}/steps/a/approval/decide`, json({ decision: "approved" }))).toMatchObject({ error: "not_found" });
      expect(await call("post", decide, `/runs/${approvalRun}/steps/a/approval/decide`, json({ decision: "approved" }))).toBe("");
      expect(await call("post", decide, `/runs/${approvalRun}/steps/a/approval/decide`, json({ decision: "approved" }))).toMatchObject({
        error: "conflict",
        message: "approval already decided",
      });
      await settled(approvalRun);
    });

    it("approve when the resumed step cannot be dispatched: 500", async () => {
      const failing = await start("agent-free", {
        script: script({
          status: "pending_approval",
          pending_approval: { tool_name: "delete_user", tool_use_id: "call_2", arguments: {}, on_reject: "fail", timeout_ms: 0, timeout_behavior: "fail" },
          on_resume: { reject_status: 400 },
        }),
      });
      await eventually(async () => {
        const { body } = await get<RunView>(`/runs/${failing}`);
        return body.steps?.find((s) => s.id === "a")?.status === "pending_approval" ? true : undefined;
      });
      const decide = "/runs/{run_id}/steps/{step_id}/approval/decide";
      expect(await call("post", decide, `/runs/${failing}/steps/a/approval/decide`, json({ decision: "approved" }))).toEqual({
        error: "internal_error",
        message: "failed to dispatch resume",
      });
    });

    it("POST /runs/{run_id}/cancel: 200, then 409; 409 for a run that completed; 404", async () => {
      const template = "/runs/{run_id}/cancel";
      const hanging = await start("agent-free", { script: script({ hang: true }) });
      expect(await call("post", template, `/runs/${hanging}/cancel`)).toEqual({ run_id: hanging, status: "cancelled" });
      expect(await call("post", template, `/runs/${hanging}/cancel`)).toEqual({ error: "conflict", message: "run already cancelled" });
      expect(await call("post", template, `/runs/${runId}/cancel`)).toEqual({ error: "conflict", message: "run already ended (complete)" });
      expect(await call("post", template, `/runs/${MISSING_RUN}/cancel`)).toEqual({ error: "not_found", message: "run not found" });
    });

    it("GET /workflows and a workflow's graph: 200 and 404", async () => {
      const { workflows } = (await call("get", "/workflows", "/workflows")) as { workflows: Array<{ name: string }> };
      expect(workflows.map((w) => w.name)).toContain("conditions");
      expect(await call("get", "/workflows/{name}/graph", "/workflows/conditions/graph")).toMatchObject({ name: "conditions" });
      expect(await call("get", "/workflows/{name}/graph", "/workflows/nope/graph")).toEqual({ error: "not_found", message: "workflow not found: nope" });
    });
  });
});

describe("the answers every route can give before or around its handler", () => {
  const concrete = (template: string) =>
    template.replace("{workflow}", "conditions").replace("{run_id}", MISSING_RUN).replace("{step_id}", "a").replace("{name}", "conditions");
  const operations = () => Object.entries(doc.paths).flatMap(([template, ops]) => Object.keys(ops).map((method) => ({ template, method })));

  it("400 for a malformed Host on every route; 403 for a cross-site request on every POST", async () => {
    for (const { template, method } of operations()) {
      const init = method === "post" ? json({}) : {};
      const res = await app.request(`${BASE}${concrete(template)}`, { method: method.toUpperCase(), ...init, headers: { host: "evil/runs" } }, env);
      expect(await conforms(method, template, res), template).toMatchObject({ error: "invalid_host" });
      if (method !== "post") continue;
      const cross = await SELF.fetch(`${BASE}${concrete(template)}`, {
        method: "POST",
        headers: { origin: "https://evil.example", "content-type": "text/plain" },
        body: "{}",
      });
      expect(await conforms(method, template, cross), template).toMatchObject({ error: "forbidden" });
    }
  });

  it("503 while the Store is not migrated and 500 with a request id when it fails, on the routes that read it", async () => {
    const routes: Array<[string, string, string, RequestInit?]> = [
      ["post", "/enqueue/{workflow}", "/enqueue/conditions", json({ flag: true }, { "idempotency-key": "readiness-key" })],
      ["get", "/runs", "/runs"],
      ["get", "/runs/{run_id}", `/runs/${MISSING_RUN}`],
      ["get", "/runs/{run_id}/envelope", `/runs/${MISSING_RUN}/envelope`],
      ["get", "/runs/{run_id}/events", `/runs/${MISSING_RUN}/events`],
      ["get", "/runs/{run_id}/steps/{step_id}/approval", `/runs/${MISSING_RUN}/steps/a/approval`],
      ["get", "/approvals", "/approvals"],
    ];
    await env.BROKEN_DB.batch([
      env.BROKEN_DB.prepare("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP)"),
      env.BROKEN_DB.prepare("INSERT OR IGNORE INTO d1_migrations (name) VALUES (?)").bind(LATEST_MIGRATION),
    ]);
    for (const [method, template, path, init] of routes) {
      expect(await callWith({ DB: env.UNMIGRATED_DB }, method, template, path, init), path).toMatchObject({ error: "not_ready" });
      expect(await callWith({ DB: env.BROKEN_DB }, method, template, path, init), path).toMatchObject({ error: "internal_error" });
    }
    expect(await callWith({ DB: env.UNMIGRATED_DB }, "get", "/health", "/health")).toMatchObject({ status: "error", services: { store: "not_migrated" } });
  });
});

afterAll(() => {
  // Runs after every check above: each documented status was answered, or is listed as unreachable.
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).flatMap(([method, op]) => Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`)),
  );
  const missing = documented.filter((key) => !seen.has(key) && !(key in UNREACHED));
  expect(missing, "documented statuses no test reached").toEqual([]);
  const reachedAnyway = Object.keys(UNREACHED).filter((key) => seen.has(key));
  expect(reachedAnyway, "listed as unreachable but reached").toEqual([]);
});
