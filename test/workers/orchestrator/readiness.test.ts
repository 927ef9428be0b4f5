// Readiness and error bodies: /health is ok only when the Store is migrated and answering;
// requests in the window before the migrations get a 503 that says so; an unexpected failure
// answers with a request id, and its details (SQL) go to the log only. Real D1 databases:
// UNMIGRATED_DB has never been migrated; BROKEN_DB records the newest migration but lacks the tables.
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { app } from "../../../workers/orchestrator/src/api/app.ts";
import { LATEST_MIGRATION } from "../../../workers/orchestrator/src/store/readiness.ts";

const BASE = "https://ktsu.test";
const UNMIGRATED = { ...env, DB: env.UNMIGRATED_DB };
const BROKEN = { ...env, DB: env.BROKEN_DB };
/** The Store in Postgres, migrated (global-setup.ts) and not. */
const POSTGRES = { ...env, HYPERDRIVE: env.POSTGRES_STORE };
const POSTGRES_UNMIGRATED = { ...env, HYPERDRIVE: env.POSTGRES_UNMIGRATED };

/** Text that would show the Store's internals. */
const INTERNAL = /select|insert|failed query|no such table|from "runs"|sqlite|d1_/i;

function request(path: string, init: RequestInit, bindings: Record<string, unknown>): Promise<Response> {
  return Promise.resolve(app.request(`${BASE}${path}`, init, bindings));
}

beforeAll(async () => {
  await env.BROKEN_DB.batch([
    env.BROKEN_DB.prepare("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP)"),
    env.BROKEN_DB.prepare("INSERT OR IGNORE INTO d1_migrations (name) VALUES (?)").bind(LATEST_MIGRATION),
  ]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET /health and the Store", () => {
  it("is ok with the migrated Store", async () => {
    const res = await request("/health", {}, env);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", services: { store: "ok" } });
  });

  it("is not ok before the migrations are applied", async () => {
    const res = await request("/health", {}, UNMIGRATED);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "error", services: { store: "not_migrated", orchestrator: "ok" } });
  });
});

describe("GET /health and the Store in Postgres", () => {
  it("is ok with the migrated database", async () => {
    const res = await request("/health", {}, POSTGRES);
    expect(await res.json()).toMatchObject({ status: "ok", services: { store: "ok" } });
  });

  it("is not ok before its migrations, and requests say so without SQL", async () => {
    const health = await request("/health", {}, POSTGRES_UNMIGRATED);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "error", services: { store: "not_migrated" } });
    const res = await request("/runs", {}, POSTGRES_UNMIGRATED);
    const text = await res.text();
    expect(res.status, text).toBe(503);
    expect(JSON.parse(text)).toMatchObject({ error: "not_ready" });
    expect(text).toContain("Postgres migrations are not applied");
    expect(text).not.toMatch(/select|relation|ktsu_migrations/i);
  });
});

describe("requests before the migrations", () => {
  it("answer 503 not_ready without SQL, for reads and for queued invokes", async () => {
    const attempts: Array<[string, RequestInit]> = [
      ["/runs", {}],
      ["/runs/run_0000000000000000", {}],
      ["/approvals", {}],
      ["/enqueue/conditions", { method: "POST", body: '{"flag":true}' }],
    ];
    for (const [path, init] of attempts) {
      const res = await request(path, init, UNMIGRATED);
      const text = await res.text();
      expect(res.status, `${path}: ${text}`).toBe(503);
      expect(JSON.parse(text)).toMatchObject({ error: "not_ready" });
      expect(text).toContain("migrations");
      expect(text.replace("migrations apply", "")).not.toMatch(INTERNAL);
    }
  });
});

describe("an unexpected Store failure", () => {
  it("answers 500 with a request id and no internal text; the log has the SQL under that id", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? `${a.message} ${String(a.cause)}` : String(a))).join(" "));
    });
    for (const path of ["/runs", "/runs/run_0000000000000000/envelope", "/approvals"]) {
      const res = await request(path, {}, BROKEN);
      const text = await res.text();
      expect(res.status, `${path}: ${text}`).toBe(500);
      const body = JSON.parse(text) as { error: string; message: string; request_id: string };
      expect(body.error).toBe("internal_error");
      expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.message).toContain(body.request_id);
      expect(text).not.toMatch(INTERNAL);
      const entry = logged.find((line) => line.includes(body.request_id));
      expect(entry, `a log entry for ${body.request_id}`).toBeDefined();
      expect(entry).toMatch(/failed query|no such table/i);
      expect(entry).not.toMatch(/params: (?!\(withheld\))/);
    }
  });

  it("uses Cloudflare's ray id as the request id when there is one", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await request("/runs", { headers: { "cf-ray": "8c1f2e3d4a5b6c7d-AMS" } }, BROKEN);
    expect(await res.json()).toMatchObject({ error: "internal_error", request_id: "8c1f2e3d4a5b6c7d-AMS" });
  });
});
