// What a conformance run drives: the suite's CLI, and the two MCP server targets started
// locally (the tools Worker served alone, the orchestrator's /mcp on the local stack). Shared by
// test/mcp-conformance/run.ts (`npm run test:mcp`) and test/stack/mcp-conformance.test.ts.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions, type LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions } from "wrangler";
import { OFFLINE_ENV, REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { localWorkerOptions } from "../../cli/src/stack/stack.ts";
import { startLocalProject } from "../../cli/src/stack/start-local.ts";
import { type FakePlan, startFakeProvider } from "../fake-provider/server.ts";

export const SUITE = path.join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const FIXTURE_PROJECT = path.join(REPO_ROOT, "test", "fixtures", "mcp-conformance-project");

Object.assign(process.env, OFFLINE_ENV);

/** A started target: where it answers, and how to stop it. */
export interface Target {
  url: URL;
  dispose(): Promise<void>;
}

/**
 * Runs the suite's CLI with this process's Node (the suite needs Node 22: fs.globSync), its
 * output passed through (`inherit`) or collected (`collect`, e.g. for a test's failure message).
 */
export function runSuite(args: string[], outputDir: string, output: "inherit" | "collect" = "inherit"): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SUITE, ...args, "--output-dir", outputDir], { stdio: output === "inherit" ? "inherit" : "pipe" });
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.on("exit", (code) => resolve({ code: code ?? 1, output: text }));
  });
}

/** The server scenarios the suite lists (`conformance list`). */
export function suiteServerScenarios(): string[] {
  const listing = execFileSync(process.execPath, [SUITE, "list"], { encoding: "utf8" });
  const server = listing.slice(0, listing.indexOf("Client scenarios"));
  return [...server.matchAll(/^ {2}- (\S+)/gm)].map((match) => match[1]!);
}

/** A directory for the suite's results (it writes one per run); they are kept out of the repository. */
export async function resultsDir(): Promise<{ path: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "ktsu-mcp-conformance-"));
  return { path: dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

function orchestratorDouble(): LegacyWorkerOptions {
  const config = path.join(REPO_ROOT, "test", "workers", "support", "recording-orchestrator", "wrangler.jsonc");
  const { modulesRules: _rules, ...fromConfig } = getMiniflareWorkerOptions(config).workerOptions;
  const entry = path.join(REPO_ROOT, "dist", "recording-orchestrator", "index.js");
  return {
    ...(fromConfig as Omit<LegacyWorkerOptions, "scriptPath">),
    name: "ktsu-orchestrator",
    modules: true,
    scriptPath: entry,
    modulesRoot: path.dirname(entry),
  };
}

/**
 * The tools Worker (dist/tools, built by `npm run build:workers`) served alone by Miniflare on a
 * free loopback port (in the stack it is reachable only through bindings); its ORCHESTRATOR
 * binding goes to the recording orchestrator double. A server is at `/mcp/<name>` of the URL.
 */
export async function startToolsWorker(): Promise<Target> {
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      workers: [localWorkerOptions("tools", path.join(REPO_ROOT, "dist", "tools", "index.js")), orchestratorDouble()],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  try {
    return { url: await miniflare.ready, dispose: () => miniflare.dispose() };
  } catch (err) {
    await miniflare.dispose();
    throw err;
  }
}

/**
 * The orchestrator's `/mcp` on the local stack `ktsu start` runs, with
 * test/fixtures/mcp-conformance-project (its workflows are the suite's test tools), the fake
 * provider (with the project's fake-plan.json) and no admin token (open, as locally), reached as
 * `localhost` (the DNS-rebinding scenario needs a localhost URL).
 */
export async function startOrchestratorMcp(): Promise<Target> {
  // test_elicitation's agent calls a gated tool: the fake provider's plan for it.
  const { plans } = JSON.parse(readFileSync(path.join(FIXTURE_PROJECT, "fake-plan.json"), "utf8")) as { plans: FakePlan[] };
  const fake = await startFakeProvider({ plans });
  const stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-mcp-conformance-stack-"));
  const release = async () => {
    await fake.close();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const { KTSU_ADMIN_TOKEN: _token, ...environment } = process.env;
    const started = await startLocalProject({
      projectDir: FIXTURE_PROJECT,
      stateDir,
      port: 0,
      environment: { ...environment, KTSU_FAKE_PROVIDER_URL: fake.url },
    });
    const url = new URL("/mcp", started.stack.url);
    url.hostname = "localhost";
    return {
      url,
      dispose: async () => {
        try {
          await started.stack.dispose();
        } finally {
          await release();
        }
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}
