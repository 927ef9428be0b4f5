// The local stack as deployed (`ktsu start --all --secure`) and in the window before its D1
// migrations: the admin routes closed without a token, the Host checks on the real listener
// (a Host containing "/" was once spliced into the routed path), the viewer's and API's
// security headers, and readiness: /health and invokes before and after the migrations.
import { request as httpRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../cli/src/stack/migrations.ts";
import { startStack, WORKER_SERVICE_NAME, type LocalStack } from "../../cli/src/stack/stack.ts";
import { PROJECT_BUNDLE } from "../support/workerd-projects.ts";

let stack: LocalStack;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-secure-"));
  stack = await startStack({ projectBundle: PROJECT_BUNDLE, stateDir, secure: true, migrate: false });
});

afterAll(async () => {
  await stack?.dispose();
  await rm(stateDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly this Host header (fetch would not send a malformed one). */
function raw(method: string, pathname: string, host: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: stack.url.hostname, port: stack.url.port, method, path: pathname, headers: { host } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const url = (p: string) => new URL(p, stack.url);

describe("before the D1 migrations", () => {
  it("/health is not ok and names the Store; an invoke is a 503 that says why, without SQL", async () => {
    const health = await fetch(url("/health"));
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "error", services: { store: "not_migrated" } });
    const invoke = await fetch(url("/invoke/conditions"), { method: "POST", body: '{"flag":true}' });
    const text = await invoke.text();
    expect(invoke.status, text).toBe(503);
    expect(JSON.parse(text)).toMatchObject({ error: "not_ready" });
    expect(text).not.toMatch(/failed query|insert into|no such table/i);
  });
});

describe("--secure without KTSU_ADMIN_TOKEN", () => {
  it("refuses every admin request (401) and says how to set a token", async () => {
    for (const p of ["/runs", "/approvals", "/workflows", "/runs/run_0000000000000000/events"]) {
      const res = await fetch(url(p), { headers: { authorization: "Bearer guess" } });
      expect(res.status, p).toBe(401);
      expect(((await res.json()) as { message: string }).message).toContain("KTSU_ADMIN_TOKEN");
    }
  });
});

describe("the Host header on the local listener", () => {
  it("a Host containing '/' is a 400, not spliced into the path", async () => {
    // Once routed as /runs/x: the Host's "/runs" became part of the path.
    const spliced = await raw("GET", "/x", "evil/runs");
    expect(spliced.status).toBe(400);
    expect(JSON.parse(spliced.body)).toMatchObject({ error: "invalid_host" });
    const post = await raw("POST", "/conditions", "evil/invoke", '{"flag":true}');
    expect(post.status).toBe(400);
  });

  it("only loopback names are served: a DNS-rebinding name is a 400", async () => {
    const port = stack.url.port;
    expect((await raw("GET", "/health", `attacker.example:${port}`)).status).toBe(400);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) expect((await raw("GET", "/openapi.json", host)).status, host).toBe(200);
  });
});

describe("security headers", () => {
  it("the viewer's page and the API's answers carry a CSP with frame-ancestors 'none' and nosniff", async () => {
    const page = await fetch(url("/ui/"));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const api = await fetch(url("/openapi.json"));
    expect(api.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
    // The headers file itself is configuration, not a page.
    expect((await fetch(url("/_headers"))).status).not.toBe(200);
  });
});

describe("after the D1 migrations", () => {
  it("/health is ok and invokes are accepted", async () => {
    await applyMigrations(await stack.miniflare.getD1Database("DB", WORKER_SERVICE_NAME.orchestrator));
    const health = await fetch(url("/health"));
    expect(health.status).toBe(200);
    expect((await fetch(url("/invoke/conditions"), { method: "POST", body: '{"flag":true}' })).status).toBe(202);
  });
});
