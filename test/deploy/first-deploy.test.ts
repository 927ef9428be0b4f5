// docs/deploy.md's walk, run for real: `ktsu deploy` (and through it `wrangler
// deploy`, `d1 create`, `queues create`, `d1 migrations apply --remote`, …)
// against the local Cloudflare API stand-in, for a user's project outside this
// repository, staging and production side by side in one account.
import { spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_ENV, REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { type CloudflareApi, type ScriptState, startCloudflareApi } from "../support/cloudflare-api.ts";

/** Written into the user's workflow: the uploaded bundles must contain it. */
const MARKER = "user-project-marker-5b1e";
const API_KEY = "sk-ant-standin-0001";
const PROD_KEY = "sk-ant-standin-prod-0002";
const ENVIRONMENTS = ["staging", "production"] as const;
const WORKERS = ["orchestrator", "runtime", "gateway", "tools"] as const;

let api: CloudflareApi;
let project: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ktsu …` in the user's project, as the docs run it (`npx ktsu`), with wrangler pointed at the stand-in. */
function ktsu(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "cli", "bin", "ktsu.js"), ...args], {
      cwd: project,
      env: {
        ...process.env,
        ...OFFLINE_ENV,
        PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
        CLOUDFLARE_API_BASE_URL: api.baseUrl,
        CLOUDFLARE_API_TOKEN: "standin-token",
        CLOUDFLARE_ACCOUNT_ID: api.accountId,
        KTSU_ADMIN_TOKEN: "",
        KTSU_STATE_KEY: "",
        ANTHROPIC_API_KEY: "",
        KTSU_PROJECT_DIR: "",
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

const name = (env: string, worker: string) => `demo-${env}-${worker}`;
const scriptOf = (env: string, worker: string): ScriptState => {
  const state = api.scripts.get(name(env, worker));
  if (!state) throw new Error(`${name(env, worker)} was never uploaded`);
  return state;
};
const bindingsOf = (upload: ScriptState["uploads"][number]) => upload.metadata.bindings ?? [];
const secretPuts = () => api.requests.filter((r) => /\/secrets$/.test(r.path) && r.method !== "GET");

beforeAll(async () => {
  api = await startCloudflareApi();
  // A user's project: examples/hello copied out of the repository, named by its package.json.
  project = await mkdtemp(path.join(tmpdir(), "ktsu-user-project-"));
  for (const entry of ["workflows", "agents", "gateway.anthropic.yaml"])
    cpSync(path.join(REPO_ROOT, "examples", "hello", entry), path.join(project, entry), { recursive: true });
  writeFileSync(path.join(project, "package.json"), `${JSON.stringify({ name: "demo", private: true })}\n`);
  const workflow = path.join(project, "workflows", "hello.workflow.yaml");
  writeFileSync(workflow, readFileSync(workflow, "utf8").replace(/^description: .*$/m, `description: Greets someone by name (${MARKER}).`));
});

afterAll(async () => {
  await api?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

const GATEWAY = ["--gateway-config", "gateway.anthropic.yaml"];

describe("a first deploy of a user's project, staging and production side by side", () => {
  it("check offline: the dry run builds everything offline, sends nothing, and warns what a real deploy refuses", async () => {
    const r = await ktsu(["deploy", "--environment", "staging", ...GATEWAY, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("environment staging: Workers demo-staging-tools, demo-staging-gateway, demo-staging-runtime, demo-staging-orchestrator");
    expect(r.stderr).toContain("a real deploy refuses: workflow(s) without invoke.auth, which anyone could invoke: hello");
    expect(r.stderr).toContain("ANTHROPIC_API_KEY (gateway)");
    expect(api.requests).toEqual([]);
  });

  it("what the deploy refuses: a real deploy refuses a public workflow not stated public and a missing secret, before creating anything", async () => {
    const r = await ktsu(["deploy", "--environment", "staging", ...GATEWAY, "--bootstrap"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "refused: workflow(s) without invoke.auth, which anyone could invoke: hello; give them invoke.auth, or state that they are public with --public hello",
    );
    expect(r.stderr).toContain("refused: required variable(s) neither given nor set: ANTHROPIC_API_KEY (gateway)");
    expect(r.stderr).toContain("nothing was deployed");
    // Only the questions "which secrets are set already?" reached the API.
    expect(api.requests.every((req) => req.method === "GET" && req.path.endsWith("/secrets"))).toBe(true);
    expect(api.scripts.size + api.databases.size + api.queues.size).toBe(0);
    expect(existsSync(path.join(project, "ktsu-deploy.json"))).toBe(false);
  });

  let stagingToken = "";
  it("first deploy of staging: --bootstrap creates staging's database and queues, applies the migrations, uploads with the secrets, prints the admin token once", async () => {
    const r = await ktsu(["deploy", "--environment", "staging", ...GATEWAY, "--bootstrap", "--public", "hello"], { ANTHROPIC_API_KEY: API_KEY });
    expect(r.stderr).not.toContain("refused");
    expect(r.code).toBe(0);
    const printed = [...r.stdout.matchAll(/^KTSU_ADMIN_TOKEN=(\S+)$/gm)].map((m) => m[1]!);
    expect(printed).toHaveLength(1);
    stagingToken = printed[0]!;
    expect(stagingToken.length).toBeGreaterThanOrEqual(40);
    expect(r.stdout).not.toContain(API_KEY);
  });

  it("first deploy of production: production gets its own resources and Workers, with the provider key from a secrets file", async () => {
    const secrets = path.join(project, ".secrets.production.env");
    writeFileSync(secrets, `ANTHROPIC_API_KEY=${PROD_KEY}\n`);
    const r = await ktsu(["deploy", "--environment", "production", ...GATEWAY, "--bootstrap", "--public", "hello", "--secrets-file", secrets]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^KTSU_ADMIN_TOKEN=\S+$/m);
    expect(r.stdout).not.toContain(stagingToken);
  });

  it("later deploys: a later staging deploy (no --bootstrap, no key given) keeps the secrets already set and generates nothing", async () => {
    const before = scriptOf("staging", "orchestrator").uploads.length;
    const r = await ktsu(["deploy", "--environment", "staging", ...GATEWAY, "--public", "hello"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ANTHROPIC_API_KEY (gateway): already set, kept");
    expect(r.stdout).toContain("KTSU_ADMIN_TOKEN (orchestrator): already set, kept");
    expect(r.stdout).not.toMatch(/^KTSU_ADMIN_TOKEN=/m);
    expect(scriptOf("staging", "orchestrator").uploads.length).toBe(before + 1);
  });

  it("later deploys: --bootstrap again on a live environment creates nothing and never uploads a Worker without its bindings", async () => {
    const before = { databases: api.databases.size, queues: api.queues.size, seq: api.requests.length };
    const r = await ktsu(["deploy", "--environment", "production", ...GATEWAY, "--bootstrap", "--public", "hello"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("demo-production-orchestrator exists: no pass without service bindings is needed");
    expect(r.stdout).toContain("D1 database demo-production: ");
    expect(r.stdout).toContain("queue demo-production-runs-dlq (exists)");
    expect({ databases: api.databases.size, queues: api.queues.size }).toEqual({ databases: before.databases, queues: before.queues });
    for (const worker of ["orchestrator", "runtime", "tools"]) {
      const uploads = scriptOf("production", worker).uploads.filter((u) => u.seq > before.seq);
      expect(uploads).toHaveLength(1);
      expect(bindingsOf(uploads[0]!).some((b) => b.type === "service")).toBe(true);
    }
  });

  it("recorded each environment's resources in the project's ktsu-deploy.json, never in the repository", () => {
    const state = JSON.parse(readFileSync(path.join(project, "ktsu-deploy.json"), "utf8"));
    for (const env of ENVIRONMENTS) {
      const db = [...api.databases.values()].find((d) => d.name === `demo-${env}`);
      expect(state.environments[env]).toEqual({
        d1: { name: `demo-${env}`, id: db?.uuid },
        queues: { runs: `demo-${env}-runs`, dead_letter: `demo-${env}-runs-dlq` },
        workers: Object.fromEntries(WORKERS.map((w) => [w, name(env, w)])),
      });
    }
    expect(existsSync(path.join(REPO_ROOT, "ktsu-deploy.json"))).toBe(false);
    expect([...api.queues.values()].map((q) => q.queue_name).sort()).toEqual([
      "demo-production-runs",
      "demo-production-runs-dlq",
      "demo-staging-runs",
      "demo-staging-runs-dlq",
    ]);
  });

  it("names every Worker and binding after its environment, and attaches the dead-letter queue", () => {
    const state = JSON.parse(readFileSync(path.join(project, "ktsu-deploy.json"), "utf8"));
    for (const env of ENVIRONMENTS) {
      const final = Object.fromEntries(WORKERS.map((w) => [w, scriptOf(env, w).uploads.at(-1)!]));
      const services = (w: (typeof WORKERS)[number]) =>
        Object.fromEntries(
          bindingsOf(final[w]!)
            .filter((b) => b.type === "service")
            .map((b) => [b.name, b.service]),
        );
      expect(services("orchestrator")).toEqual({ RUNTIME: name(env, "runtime"), GATEWAY: name(env, "gateway"), TOOLS: name(env, "tools") });
      expect(services("runtime")).toEqual({ GATEWAY: name(env, "gateway"), TOOLS: name(env, "tools"), ORCHESTRATOR: name(env, "orchestrator") });
      expect(services("tools")).toEqual({ ORCHESTRATOR: name(env, "orchestrator") });
      const d1 = bindingsOf(final.orchestrator!).find((b) => b.type === "d1");
      expect(d1).toMatchObject({ name: "DB", id: state.environments[env].d1.id });
      // The queue producer as first uploaded (later versions inherit it).
      const firstQueue = scriptOf(env, "orchestrator")
        .uploads.flatMap(bindingsOf)
        .find((b) => b.type === "queue");
      expect(firstQueue).toMatchObject({ name: "RUN_QUEUE", queue_name: `demo-${env}-runs` });
      const runs = [...api.queues.values()].find((q) => q.queue_name === `demo-${env}-runs`)!;
      expect(runs.consumers).toHaveLength(1);
      expect(runs.consumers[0]).toMatchObject({ script: name(env, "orchestrator"), dead_letter_queue: `demo-${env}-runs-dlq`, settings: { max_retries: 3 } });
    }
  });

  it("declares each Worker's Durable Object classes in its first upload (the namespaces belong to the environment's Workers)", () => {
    // Each class came with a migration of its own (wrangler.toml's tags, in order).
    const classes = { orchestrator: ["RunDO", "McpSessionDO"], gateway: ["BudgetDO"], tools: ["KvNamespaceDO"], runtime: ["StepHost"] } as const;
    for (const env of ENVIRONMENTS) {
      for (const [worker, names] of Object.entries(classes)) {
        const first = scriptOf(env, worker).uploads[0]!;
        const steps = names.map((cls) => ({ new_sqlite_classes: [cls] }));
        expect(first.metadata.migrations).toEqual({ new_tag: `v${names.length}`, steps });
        const declared = bindingsOf(first).filter((b) => b.type === "durable_object_namespace");
        expect(declared.map((b) => (b as { class_name?: string }).class_name)).toEqual([...names]);
      }
    }
  });

  it("sets every secret in the same upload that first puts each Worker on the account, and migrates D1 before that", () => {
    expect(secretPuts()).toEqual([]); // never a separate `secret put` after an upload
    for (const env of ENVIRONMENTS) {
      const orchestrator = scriptOf(env, "orchestrator");
      const first = orchestrator.uploads[0]!;
      const secretNames = bindingsOf(first)
        .filter((b) => b.type === "secret_text")
        .map((b) => b.name);
      expect(secretNames.sort()).toEqual(["KTSU_ADMIN_TOKEN", "KTSU_STATE_KEY"]);
      const gatewayFirst = scriptOf(env, "gateway").uploads[0]!;
      expect(bindingsOf(gatewayFirst).find((b) => b.type === "secret_text")).toMatchObject({
        name: "ANTHROPIC_API_KEY",
        text: env === "staging" ? API_KEY : PROD_KEY,
      });
      // Workers AI (type workers_ai providers) is the gateway's AI binding, declared in its wrangler.toml.
      expect(bindingsOf(gatewayFirst)).toContainEqual(expect.objectContaining({ type: "ai", name: "AI" }));
      // The workers.dev route (traffic) is switched on only after the upload that carries the secrets.
      const enabled = api.requests.find((r) => r.path.endsWith(`/workers/scripts/${name(env, "orchestrator")}/subdomain`) && r.method === "POST");
      expect(enabled!.seq).toBeGreaterThan(first.seq);
      // The tables exist before any orchestrator is uploaded.
      const db = [...api.databases.values()].find((d) => d.name === `demo-${env}`)!;
      const createRuns = db.queries.find(({ sql }) => /CREATE TABLE [`"]?runs[`"]?/i.test(sql));
      expect(createRuns).toBeDefined();
      expect(createRuns!.seq).toBeLessThan(Math.min(...WORKERS.map((w) => scriptOf(env, w).uploads[0]!.seq)));
    }
    const stagingAdmin = bindingsOf(scriptOf("staging", "orchestrator").uploads[0]!).find((b) => b.name === "KTSU_ADMIN_TOKEN");
    expect(stagingAdmin?.text).toBe(stagingToken);
  });

  it("uploads the user's project, never a test fixture", () => {
    for (const env of ENVIRONMENTS) {
      for (const worker of ["orchestrator", "gateway"]) {
        const code = scriptOf(env, worker).uploads.at(-1)!.modules["index.js"] ?? "";
        expect(code).toContain(MARKER);
        expect(code).not.toContain("secret-pass-parent"); // a workflow of the test fixture project
      }
    }
  });

  it("needed nothing the stand-in does not know", () => {
    expect(api.unhandled.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});
