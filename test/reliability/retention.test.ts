// Retention on the local stack, end to end with the real runtime: an agent step and a fanout
// whose items share hosts by host key, each slow enough for its StepHost to keep a finished mark,
// are made old (their D1 rows' timestamps written back), and one trigger of the orchestrator's
// cron deletes them everywhere they were stored: D1 rows, RunDO storage, and the step hosts'
// storage and alarms, read from workerd's own files.
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../cli/src/stack/stack.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { Api, pollUntil } from "./support/api.ts";
import { makeProject } from "./support/project.ts";
import { SECRETS } from "./support/secrets.ts";
import { startInProcess } from "./support/stacks.ts";

/** A bound for a run that never ends, generous for a busy machine. */
const RUN_WAIT_MS = 120_000;

let fake: FakeProvider;
let projectDir: string;
let stateDir: string;
let stack: LocalStack | undefined;

/** Stored keys and armed alarms of a Durable Object class, over all its objects' SQLite files. */
function stored(className: string): { keys: number; alarms: number } {
  const dir = path.join(stateDir, "state", "do", className);
  if (!existsSync(dir)) return { keys: 0, alarms: 0 };
  const count = (file: string, sql: string) => {
    const db = new DatabaseSync(path.join(dir, file), { readOnly: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } catch (err) {
      // An object whose storage was deleted has no tables left.
      if (/no such table/.test(String(err))) return 0;
      throw err;
    } finally {
      db.close();
    }
  };
  const files = readdirSync(dir).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  return {
    keys: files.reduce((n, file) => n + count(file, "SELECT count(*) AS n FROM _cf_KV"), 0),
    alarms: existsSync(path.join(dir, "metadata.sqlite")) ? count("metadata.sqlite", "SELECT count(*) AS n FROM _cf_ALARM") : 0,
  };
}

beforeAll(async () => {
  fake = await startFakeProvider();
  projectDir = await makeProject({ liarUrl: "http://127.0.0.1:9" });
  // Three items at concurrency 2: they share one host.
  await writeFile(
    path.join(projectDir, "workflows", "spread.workflow.yaml"),
    [
      "name: spread",
      "params:",
      "  schema:",
      "    type: object",
      "    required: [items]",
      "    properties:",
      "      items: { type: array }",
      "pipeline:",
      "  - id: each",
      "    agent: agents/echo.agent.yaml",
      "    for_each:",
      "      from: params.items",
      "      concurrency: 2",
      "    params:",
      "      label: item",
      '      text: "{{ item }}"',
      "",
    ].join("\n"),
  );
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-rel-retention-"));
});

afterAll(async () => {
  await stack?.dispose();
  await fake?.close();
  await rm(stateDir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
});

describe("retention on the local stack", () => {
  it("deletes old runs from D1, their run objects and their step hosts (shared ones too) at one cron trigger", async () => {
    stack = await startInProcess({
      projectDir,
      stateDir,
      environment: {
        ...process.env,
        FAKE_PROVIDER_URL: fake.url,
        FAKE_API_KEY: SECRETS.providerKey,
        KTSU_ADMIN_TOKEN: SECRETS.adminToken,
        KTSU_RUN_RETENTION_DAYS: "7",
        // A host becomes durable (and keeps a finished mark) after half an interval: 0.5 s here.
        KTSU_HEARTBEAT_INTERVAL_MS: "1000",
      },
    });
    const api = new Api(stack.url, SECRETS.adminToken);
    fake.reset();
    const reply = { delay_ms: 2000, text: '{"answer": "kept for a while"}' };
    fake.script(reply, reply, reply, reply);
    const runId = await api.invoke("quick", { text: "retention" });
    const spread = await api.invoke("spread", { items: ["a", "b", "c"] });
    expect((await api.waitForRun(runId, RUN_WAIT_MS)).run.status).toBe("complete");
    expect((await api.waitForRun(spread, RUN_WAIT_MS)).run.status).toBe("complete");
    // Each host keeps only a finished mark once its callbacks are delivered (the last step to end in a
    // host erases the rest): one for the agent step, one in the host the fanout's three items share
    // (a host serves up to eight of a fanout's slots).
    expect(await pollUntil(() => stored("ktsu-runtime-StepHost").keys >= 2, RUN_WAIT_MS, 50)).toBe(true);
    expect(stored("ktsu-orchestrator-RunDO").keys).toBeGreaterThan(0);

    const db = await stack.miniflare.getD1Database("DB", "ktsu-orchestrator");
    const rows = async () => {
      const counts: number[] = [];
      for (const [table, column] of [
        ["runs", "id"],
        ["steps", "run_id"],
        ["events", "run_id"],
      ] as const) {
        counts.push((await db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).bind(runId).first<{ n: number }>())?.n ?? 0);
      }
      return counts;
    };
    expect((await rows()).every((n) => n > 0)).toBe(true);
    const orchestrator = await stack.worker("orchestrator");
    // Six days after their end they are kept.
    const setEnded = async (at: string) => {
      for (const id of [runId, spread])
        await db.prepare("UPDATE runs SET created_at = ?1, updated_at = ?1, completed_at = ?1 WHERE id = ?2").bind(at, id).run();
    };
    await setEnded(new Date(Date.now() - 6 * 24 * 60 * 60_000).toISOString());
    expect((await orchestrator.scheduled({ cron: "*/5 * * * *" })).outcome).toBe("ok");
    for (const id of [runId, spread]) expect((await api.json("GET", `/runs/${id}`)).status).toBe(200);

    // Eight days after, one trigger deletes them everywhere.
    await setEnded(new Date(Date.now() - 8 * 24 * 60 * 60_000).toISOString());
    expect((await orchestrator.scheduled({ cron: "*/5 * * * *" })).outcome).toBe("ok");
    expect(await rows()).toEqual([0, 0, 0]);
    expect((await api.json("GET", `/runs/${runId}`)).status).toBe(404);
    expect((await api.json("GET", `/runs/${spread}`)).status).toBe(404);

    // Read with the stack stopped, so nothing is held in workerd's memory.
    await stack.dispose();
    stack = undefined;
    expect(stored("ktsu-orchestrator-RunDO")).toEqual({ keys: 0, alarms: 0 });
    expect(stored("ktsu-runtime-StepHost")).toEqual({ keys: 0, alarms: 0 });
  });
});
