import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { get, invoke, runCount, settled, start, type RunView } from "./helpers.ts";

describe("POST /invoke/{workflow}", () => {
  it("accepts a valid invoke with 202 and a run_<16 hex> id, and the run exists at once", async () => {
    const res = await invoke("conditions", { flag: true });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { run_id: string; status: string };
    expect(body.status).toBe("accepted");
    expect(body.run_id).toMatch(/^run_[0-9a-f]{16}$/);
    // The record is written before the 202 (the original answered first, so a quick read could miss the run).
    const { status } = await get(`/runs/${body.run_id}`);
    expect(status).toBe(200);
  });

  it("answers 422 naming the missing required field and creates no run", async () => {
    const before = await runCount();
    const res = await invoke("agent-strict", {});
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: "invalid_input", message: 'input missing required field "script"', field: "script" });
    expect(await runCount()).toBe(before);
  });

  it("answers 422 for a param of the wrong type (full params schema) and creates no run", async () => {
    const before = await runCount();
    const res = await invoke("agent-strict", { script: 42 });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: "invalid_input", message: 'input field "script" must be string', field: "script" });
    expect(await runCount()).toBe(before);
  });

  it("answers 404 for an unknown workflow and for a sub-workflow, with the same text", async () => {
    for (const name of ["nope", "hidden", "child"]) {
      const res = await invoke(name, {});
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: "not_found", message: `workflow not found: ${name}` });
    }
  });

  it("enforces invoke.auth: missing or wrong bearer token → 401, right one → 202", async () => {
    expect((await invoke("secure", {})).status).toBe(401);
    expect((await invoke("secure", {}, { authorization: "invoke-secret-9b3e" })).status).toBe(401); // no "Bearer "
    const wrong = await invoke("secure", {}, { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: "unauthorized" });
    expect((await invoke("secure", {}, { authorization: "Bearer invoke-secret-9b3e" })).status).toBe(202);
  });

  it("answers 400 for malformed JSON and for a non-object body, and 413 for an oversized body", async () => {
    const before = await runCount();
    const bad = await invoke("conditions", "{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^malformed JSON body/);
    expect((await invoke("conditions", "[1,2]")).status).toBe(400);
    const huge = await invoke("conditions", JSON.stringify({ blob: "x".repeat(1024 * 1024 + 10) }));
    expect(huge.status).toBe(413);
    expect(await runCount()).toBe(before);
  });

  it("treats an empty body as {}", async () => {
    const res = await SELF.fetch("https://ktsu.test/invoke/conditions", { method: "POST" });
    expect(res.status).toBe(202);
  });
});

describe("GET /runs", () => {
  it("lists newest first and filters by workflow, status and limit (a limit that is no count is a 400)", async () => {
    const first = await start("conditions", { flag: false });
    const second = await start("conditions", { flag: true });
    await settled(first);
    await settled(second);
    const all = await get<{ runs: RunView["run"][] }>("/runs?workflow=conditions&limit=2");
    expect(all.body.runs.map((r) => r.id)).toEqual([second, first]);
    expect(all.body.runs.every((r) => r.workflow_name === "conditions")).toBe(true);
    const failed = await get<{ runs: RunView["run"][] }>("/runs?status=failed&workflow=conditions");
    expect(failed.body.runs).toEqual([]);
    const one = await get<{ runs: RunView["run"][] }>("/runs?limit=1");
    expect(one.body.runs).toHaveLength(1);
    const refused = await get<{ field?: string }>("/runs?limit=abc&workflow=conditions");
    expect(refused).toMatchObject({ status: 400, body: { field: "limit" } });
  });

  it("GET /runs/{id} and /envelope answer 404 for an unknown run", async () => {
    expect((await get("/runs/run_0000000000000000")).status).toBe(404);
    expect((await get("/runs/run_0000000000000000/envelope")).status).toBe(404);
  });
});
