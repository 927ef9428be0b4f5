import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, binPath } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";

let started: StartedProject;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-stack-"));
  started = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "examples", "hello"),
    stateDir,
    port: 0,
    // The heartbeat pair as a user sets it: in the environment ktsu start reads.
    environment: { ...process.env, KTSU_HEARTBEAT_INTERVAL_MS: "2500", KTSU_HEARTBEAT_TIMEOUT_MS: "20000", KTSU_RUN_RETENTION_DAYS: "30" },
  });
});

afterAll(async () => {
  await started?.stack.dispose();
  await rm(stateDir, { recursive: true, force: true });
});

describe("the local stack ktsu start runs", () => {
  it("serves the orchestrator's aggregate health with all four Workers ok", async () => {
    const res = await fetch(new URL("/health", started.stack.url));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", services: { orchestrator: "ok", store: "ok", runtime: "ok", gateway: "ok", tools: "ok" } });
  });

  it.each(["runtime", "gateway", "tools"] as const)("%s answers GET /health through its binding", async (worker) => {
    const res = await (await started.stack.worker(worker)).fetch("http://internal/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("persists state under the state dir and has applied the D1 migrations", async () => {
    expect(existsSync(path.join(stateDir, "state"))).toBe(true);
    expect(existsSync(path.join(stateDir, "project", "bundle.js"))).toBe(true);
    const db = await started.stack.miniflare.getD1Database("DB", "ktsu-orchestrator");
    const { results } = await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>();
    // Every migration of the repository, in order: the stack applies them all at start.
    const migrations = readdirSync(path.join(REPO_ROOT, "migrations"))
      .filter((name) => name.endsWith(".sql"))
      .sort();
    expect(migrations.length).toBeGreaterThan(1);
    expect(results.map((r) => r.name)).toEqual(migrations);
  });

  it("passes KTSU_HEARTBEAT_INTERVAL_MS from the environment to the runtime and KTSU_HEARTBEAT_TIMEOUT_MS to the orchestrator", async () => {
    // The bindings as workerd has them: without the pass-through the runtime would have its config's 5000.
    const runtime = await started.stack.miniflare.getBindings<Record<string, unknown>>("ktsu-runtime");
    const orchestrator = await started.stack.miniflare.getBindings<Record<string, unknown>>("ktsu-orchestrator");
    expect(runtime.KTSU_HEARTBEAT_INTERVAL_MS).toBe("2500");
    expect(orchestrator.KTSU_HEARTBEAT_TIMEOUT_MS).toBe("20000");
    // Each setting reaches only the Worker that reads it.
    expect(runtime.KTSU_HEARTBEAT_TIMEOUT_MS).toBeUndefined();
    expect(orchestrator.KTSU_HEARTBEAT_INTERVAL_MS).toBeUndefined();
  });

  it("passes KTSU_RUN_RETENTION_DAYS from the environment to the orchestrator only", async () => {
    const runtime = await started.stack.miniflare.getBindings<Record<string, unknown>>("ktsu-runtime");
    const orchestrator = await started.stack.miniflare.getBindings<Record<string, unknown>>("ktsu-orchestrator");
    expect(orchestrator.KTSU_RUN_RETENTION_DAYS).toBe("30");
    expect(runtime.KTSU_RUN_RETENTION_DAYS).toBeUndefined();
  });

  it("refuses a retention that is not a whole number of days before building anything", async () => {
    const refused = startLocalProject({
      projectDir: path.join(REPO_ROOT, "examples", "hello"),
      stateDir: path.join(stateDir, "never"),
      port: 0,
      environment: { KTSU_RUN_RETENTION_DAYS: "30d" },
    });
    await expect(refused).rejects.toThrow('KTSU_RUN_RETENTION_DAYS must be a whole number of days from 0 to 36500 (0 or unset keeps runs forever), got "30d"');
    expect(existsSync(path.join(stateDir, "never"))).toBe(false);
  });

  it("refuses a heartbeat interval that is not below the timeout before building anything", async () => {
    const refused = startLocalProject({
      projectDir: path.join(REPO_ROOT, "examples", "hello"),
      stateDir: path.join(stateDir, "never"),
      port: 0,
      environment: { KTSU_HEARTBEAT_INTERVAL_MS: "20000", KTSU_HEARTBEAT_TIMEOUT_MS: "20000" },
    });
    await expect(refused).rejects.toThrow("KTSU_HEARTBEAT_INTERVAL_MS (20000) and KTSU_HEARTBEAT_TIMEOUT_MS (20000): the interval must be below the timeout");
    expect(existsSync(path.join(stateDir, "never"))).toBe(false);
  });

  it("refuses a request to a Worker route that does not exist with a JSON 404", async () => {
    const res = await fetch(new URL("/nope", started.stack.url));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });
});

describe("the bundle's validators inside workerd, where eval is forbidden", () => {
  const probe = (body: string) => `import { project, validators } from "./bundle.js";
export default { async fetch(request) { ${body} } };`;

  async function runProbe(source: string, data: unknown) {
    const dir = await mkdtemp(path.join(tmpdir(), "ktsu-probe-"));
    await writeFile(path.join(dir, "probe.js"), source);
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        cf: false,
        log: new Log(LogLevel.NONE),
        // No unsafeEval binding: workerd's default, as in production.
        workers: [
          {
            name: "probe",
            compatibilityDate: "2026-10-01",
            modulesRoot: dir,
            modules: [
              { type: "ESModule", path: path.join(dir, "probe.js") },
              {
                type: "ESModule",
                path: path.join(dir, "bundle.js"),
                contents: await import("node:fs/promises").then((fs) => fs.readFile(path.join(stateDir, "project", "bundle.js"), "utf8")),
              },
            ],
          },
        ],
      } as Parameters<typeof convertV4MiniflareOptions>[0]),
    );
    try {
      const res = await mf.dispatchFetch("http://probe/", { method: "POST", body: JSON.stringify(data) });
      return (await res.json()) as Record<string, unknown>;
    } finally {
      await mf.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("eval really is refused in this Worker (the control)", async () => {
    const result = await runProbe(
      probe(`try { new Function("return 1")(); return Response.json({ eval: "allowed" }); } catch (e) { return Response.json({ eval: e.name }); }`),
      {},
    );
    expect(result).toEqual({ eval: "EvalError" });
  });

  it("a precompiled step output validator accepts valid data and rejects invalid data with the failing path", async () => {
    const body = `const data = await request.json();
      const key = project.workflows.hello.pipeline[0].output.validator;
      const v = validators[key];
      const results = data.map((d) => ({ ok: v(d), errors: (v.errors || []).map((e) => ({ path: e.instancePath, keyword: e.keyword })) }));
      return Response.json({ results });`;
    const result = await runProbe(probe(body), [{ greeting: "hi" }, { greeting: 42 }, {}]);
    expect(result).toEqual({
      results: [
        { ok: true, errors: [] },
        { ok: false, errors: [{ path: "/greeting", keyword: "type" }] },
        { ok: false, errors: [{ path: "", keyword: "required" }] },
      ],
    });
  });
});

/** Spawns `ktsu start --all` on examples/hello and waits for the URL it prints. */
async function spawnStart(extraArgs: string[], env: Record<string, string | undefined> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), "ktsu-cli-start-"));
  const child = spawn(binPath("ktsu"), ["start", "--all", "--project-dir", "examples/hello", "--state-dir", dir, "--port", "0", ...extraArgs], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}:${process.env.PATH}`, ...env },
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    // A bound for a start that hangs: building and starting workerd on a busy machine is slow.
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 150_000);
    child.stdout.on("data", () => {
      const match = /orchestrator listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return {
    url,
    output: () => output,
    /** SIGTERM; resolves with the exit status once the stack is gone. */
    async stop(): Promise<number | null> {
      const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      const code = await exit;
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}

describe("ktsu start --all (the command)", () => {
  it("prints the orchestrator URL, serves /health there, says the admin routes are open, and stops on SIGTERM", async () => {
    const started = await spawnStart([], { KTSU_ADMIN_TOKEN: "" });
    try {
      const res = await fetch(`${started.url}/health`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe("ok");
      expect(started.output()).toContain("admin routes are OPEN");
      expect((await fetch(`${started.url}/runs`)).status).toBe(200);
    } finally {
      expect(await started.stop()).toBe(128 + 15); // the conventional exit status for SIGTERM
      expect(started.output()).toContain("ktsu: stopping");
      await expect(fetch(`${started.url}/health`)).rejects.toThrow();
    }
  });

  it("--secure without KTSU_ADMIN_TOKEN refuses every admin request and the banner says how to set one", async () => {
    const started = await spawnStart(["--secure"], { KTSU_ADMIN_TOKEN: "" });
    try {
      expect(started.output()).toContain("--secure and no KTSU_ADMIN_TOKEN: every admin request is refused (401); set one: KTSU_ADMIN_TOKEN=");
      const res = await fetch(`${started.url}/runs`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toContain("no admin token is configured");
    } finally {
      await started.stop();
    }
  });
});
