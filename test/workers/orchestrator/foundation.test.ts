import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("orchestrator Worker inside workerd", () => {
  it("reports its own health and that of the three Workers it is bound to", async () => {
    const res = await SELF.fetch("https://ktsu.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "ok",
      services: { orchestrator: "ok", store: "ok", runtime: "ok", gateway: "ok", tools: "ok" },
    });
  });

  it("has the D1 Store migrated: runs, steps, events and approvals tables", async () => {
    const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
    const tables = results.map((r) => r.name);
    for (const table of ["runs", "steps", "events", "approvals"]) expect(tables).toContain(table);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await SELF.fetch("https://ktsu.test/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });

  it("reaches the gateway's egress endpoint over its binding, which refuses hosts outside the allowlist", async () => {
    const res = await env.GATEWAY.fetch("https://gateway/egress", { method: "POST", headers: { "x-ktsu-egress-url": "http://127.0.0.1:9/" } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "egress_denied" });
  });
});
