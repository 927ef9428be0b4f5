// Secure by default: the admin routes without a configured token, the Authorization scheme,
// cross-site refusal, the Host check and the security headers, on the real app with the
// deployed configuration (no KTSU_ADMIN_OPEN) or the local stack's (KTSU_ALLOWED_HOSTS).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../../workers/orchestrator/src/api/app.ts";

const BASE = "https://ktsu.test";
/** What `wrangler deploy` uploads: no KTSU_ADMIN_OPEN (the test project sets it, as the local stack does). */
const DEPLOYED = { ...env, KTSU_ADMIN_OPEN: undefined };

function request(path: string, init: RequestInit = {}, bindings: Record<string, unknown> = env): Promise<Response> {
  return Promise.resolve(app.request(`${BASE}${path}`, init, bindings));
}

const ADMIN_PATHS = ["/runs", "/runs/run_0000000000000000", "/runs/run_0000000000000000/events", "/approvals", "/workflows", "/workflows/conditions/graph"];

describe("the admin routes when deployed", () => {
  it("refuse every request when no admin token is configured, saying how to set one", async () => {
    for (const path of ADMIN_PATHS) {
      const res = await request(path, { headers: { authorization: "Bearer anything" } }, DEPLOYED);
      expect(res.status, path).toBe(401);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe("unauthorized");
      expect(body.message).toContain("wrangler secret put KTSU_ADMIN_TOKEN");
    }
    const decide = await request("/runs/run_0000000000000000/steps/a/approval/decide", { method: "POST", body: '{"decision":"approved"}' }, DEPLOYED);
    expect(decide.status).toBe(401);
  });

  it("stay open on the local stack without a token (KTSU_ADMIN_OPEN), and /health stays open when deployed", async () => {
    expect((await request("/runs")).status).toBe(200);
    expect((await request("/health", {}, DEPLOYED)).status).toBe(200);
  });

  it("match the Authorization scheme case-insensitively", async () => {
    const configured = { ...DEPLOYED, KTSU_ADMIN_TOKEN: "tok-91ab" };
    for (const scheme of ["Bearer", "bearer", "BEARER"]) {
      expect((await request("/runs", { headers: { authorization: `${scheme} tok-91ab` } }, configured)).status, scheme).toBe(200);
    }
    expect((await request("/runs", { headers: { authorization: "Basic tok-91ab" } }, configured)).status).toBe(401);
    expect((await request("/runs", { headers: { authorization: "bearer tok-91ab-x" } }, configured)).status).toBe(401);
  });

  it("invoke.auth's bearer scheme is case-insensitive too", async () => {
    const res = await request("/invoke/secure", { method: "POST", headers: { authorization: `bearer ${env.INVOKE_SECRET}` }, body: "{}" });
    expect(res.status).toBe(202);
  });
});

describe("cross-site requests", () => {
  const invoke = (headers: Record<string, string>, body = '{"flag":true}') => request("/invoke/conditions", { method: "POST", headers, body });

  it("a state-changing request from another origin is 403, before its body is read", async () => {
    const foreign: Array<Record<string, string>> = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "https://other.ktsu.test" },
    ];
    for (const headers of foreign) {
      const res = await invoke({ "content-type": "text/plain", ...headers }, "{not even json");
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe("forbidden");
    }
    const decide = await request("/runs/run_0000000000000000/steps/a/approval/decide", {
      method: "POST",
      headers: { origin: "http://attacker.test" },
      body: '{"decision":"approved"}',
    });
    expect(decide.status).toBe(403);
  });

  it("requests without an Origin (curl, scripts, the CLI) and from the same origin go through; bodies keep any content type", async () => {
    expect((await invoke({})).status).toBe(202);
    expect((await invoke({ "content-type": "text/plain" })).status).toBe(202);
    expect((await invoke({ origin: BASE, "sec-fetch-site": "same-origin" })).status).toBe(202);
    expect((await invoke({ "sec-fetch-site": "none" })).status).toBe(202);
    // Reading is not state-changing: a GET with a foreign Origin is answered (the browser keeps the answer from the page: no CORS headers).
    const read = await request("/runs", { headers: { origin: "https://evil.example" } });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the Host header", () => {
  it("a malformed Host is a 400, never routed", async () => {
    for (const host of ["evil/runs", "a b", "user@host", "host:port:1", ""]) {
      const res = await request("/invoke/conditions", { method: "POST", headers: { host }, body: "{}" });
      if (host === "") {
        expect(res.status).not.toBe(500);
        continue;
      }
      expect(res.status, host).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("invalid_host");
    }
  });

  it("with KTSU_ALLOWED_HOSTS (the local stack), only those names are served", async () => {
    const local = { ...env, KTSU_ALLOWED_HOSTS: "localhost,127.0.0.1,[::1]" };
    for (const host of ["localhost:5050", "127.0.0.1:5050", "[::1]:5050", "LOCALHOST"]) {
      expect((await request("/health", { headers: { host } }, local)).status, host).toBe(200);
    }
    const rebound = await request("/runs", { headers: { host: "attacker.example:5050" } }, local);
    expect(rebound.status).toBe(400);
    expect(await rebound.text()).toContain("attacker.example");
  });
});

describe("security headers", () => {
  it("every answer carries a CSP with frame-ancestors 'none', nosniff and X-Frame-Options", async () => {
    const answers = [
      await request("/health"),
      await request("/runs"),
      await request("/nope"),
      await request("/runs", {}, DEPLOYED),
      await request("/invoke/conditions", { method: "POST", headers: { origin: "https://evil.example" } }),
      await request("/openapi.json"),
    ];
    for (const res of answers) {
      expect(res.headers.get("content-security-policy"), String(res.status)).toContain("frame-ancestors 'none'");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
  });
});
