// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, an exact-pinned
// devDependency: nothing is downloaded) offline, against both of ktsu's MCP sides:
//
//   npm run build:workers                  # bundles dist/tools and the orchestrator double (servers only)
//   npm run test:mcp                       # everything: node test/mcp-conformance/run.ts
//   node test/mcp-conformance/run.ts clients
//   node test/mcp-conformance/run.ts servers [server…]   # default: kv envelope
//   node test/mcp-conformance/run.ts orchestrator [--sessions]   # /mcp on the local stack (also in all, servers)
//
// Clients: the runtime's MCP client (workers/runtime/src/mcp) through the gateway's egress
// handler, as test/mcp-conformance/client.ts, on the client scenarios a ktsu runtime should
// pass. The others are listed in scenarios.ts with the reason.
//
// Servers: the tools Worker served alone by Miniflare on a free local port (in the stack it is
// reachable only through bindings); its ORCHESTRATOR binding goes to the recording orchestrator
// double. The orchestrator's /mcp: the local stack `ktsu start` runs with
// test/fixtures/mcp-conformance-project (its workflows are the suite's test tools), the fake
// provider and no admin token (open as locally), reached as localhost (the DNS-rebinding
// scenario needs a localhost URL). scenarios.ts gives every server scenario of the suite a
// verdict per target; the ones expected to pass run. `--sessions` also runs the ones that need
// durable MCP sessions on /mcp.
//
// Exit code 1 when a scenario expected to pass fails, or when the suite lists a server scenario
// scenarios.ts has no verdict for. Results: docs/runtime.md, "MCP conformance".
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions, type LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions } from "wrangler";
import { OFFLINE_ENV, REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { localWorkerOptions } from "../../cli/src/stack/stack.ts";
import { startLocalProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider } from "../fake-provider/server.ts";
import { CLIENT_SCENARIOS, NOT_APPLICABLE_CLIENT_SCENARIOS, ORCHESTRATOR_VERDICTS, scenariosToRun, TOOLS_SERVER_VERDICTS, type Verdict } from "./scenarios.ts";

const SUITE = path.join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const CLIENT = path.join(REPO_ROOT, "test", "mcp-conformance", "client.ts");
const FIXTURE_PROJECT = path.join(REPO_ROOT, "test", "fixtures", "mcp-conformance-project");

Object.assign(process.env, OFFLINE_ENV);

/** Runs the suite's CLI with this process's Node (the suite needs Node 22: fs.globSync). */
function runSuite(args: string[], outputDir: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SUITE, ...args, "--output-dir", outputDir], { stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });
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

interface Outcome {
  target: string;
  scenario: string;
  passed: boolean;
}

async function clientRuns(outputDir: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const scenario of CLIENT_SCENARIOS) {
    console.log(`\n=== runtime client: ${scenario}`);
    const code = await runSuite(["client", "--command", `${process.execPath} ${CLIENT}`, "--scenario", scenario], outputDir);
    outcomes.push({ target: "runtime client", scenario, passed: code === 0 });
  }
  return outcomes;
}

async function serverRuns(servers: string[], outputDir: string): Promise<Outcome[]> {
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      workers: [localWorkerOptions("tools", path.join(REPO_ROOT, "dist", "tools", "index.js")), orchestratorDouble()],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const outcomes: Outcome[] = [];
  try {
    const base = await miniflare.ready;
    for (const server of servers) {
      for (const scenario of scenariosToRun(TOOLS_SERVER_VERDICTS)) {
        console.log(`\n=== tools server ${server}: ${scenario}`);
        const code = await runSuite(["server", "--url", new URL(`/mcp/${server}`, base).toString(), "--scenario", scenario], outputDir);
        outcomes.push({ target: `tools server ${server}`, scenario, passed: code === 0 });
      }
    }
  } finally {
    await miniflare.dispose();
  }
  return outcomes;
}

async function orchestratorRuns(outputDir: string, sessions: boolean): Promise<Outcome[]> {
  const fake = await startFakeProvider();
  const stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-mcp-conformance-stack-"));
  const outcomes: Outcome[] = [];
  try {
    const { KTSU_ADMIN_TOKEN: _token, ...environment } = process.env;
    const started = await startLocalProject({
      projectDir: FIXTURE_PROJECT,
      stateDir,
      port: 0,
      environment: { ...environment, KTSU_FAKE_PROVIDER_URL: fake.url },
    });
    try {
      const url = new URL("/mcp", started.stack.url);
      url.hostname = "localhost";
      for (const scenario of scenariosToRun(ORCHESTRATOR_VERDICTS, sessions)) {
        console.log(`\n=== orchestrator /mcp: ${scenario}`);
        const code = await runSuite(["server", "--url", url.toString(), "--scenario", scenario], outputDir);
        outcomes.push({ target: "orchestrator /mcp", scenario, passed: code === 0 });
      }
    } finally {
      await started.stack.dispose();
    }
  } finally {
    await fake.close();
    await rm(stateDir, { recursive: true, force: true });
  }
  return outcomes;
}

/** The suite's server scenarios without a verdict in scenarios.ts (for one of the targets). */
function unjudgedScenarios(): string[] {
  const listing = execFileSync(process.execPath, [SUITE, "list"], { encoding: "utf8" });
  const server = listing.slice(0, listing.indexOf("Client scenarios"));
  const listed = [...server.matchAll(/^ {2}- (\S+)/gm)].map((match) => match[1]!);
  return listed.filter((scenario) => !(scenario in TOOLS_SERVER_VERDICTS) || !(scenario in ORCHESTRATOR_VERDICTS));
}

/** How the summary shows a scenario that was not run: its label and the reason. */
function notRun(verdict: Exclude<Verdict, "pass">): [string, string] {
  return "notApplicable" in verdict ? ["n/a  ", verdict.notApplicable] : ["later", verdict.needsSessions];
}

const args = process.argv.slice(2);
const sessions = args.includes("--sessions");
const [mode = "all", ...rest] = args.filter((arg) => arg !== "--sessions");
if (!["all", "clients", "servers", "orchestrator"].includes(mode)) {
  console.error(`usage: node test/mcp-conformance/run.ts [all|clients|servers [server…]|orchestrator] [--sessions]`);
  process.exit(2);
}
const unjudged = unjudgedScenarios();
// The suite writes a results directory per run; it is kept out of the repository.
const outputDir = await mkdtemp(path.join(tmpdir(), "ktsu-mcp-conformance-"));
const outcomes: Outcome[] = [];
try {
  if (mode === "all" || mode === "clients") outcomes.push(...(await clientRuns(outputDir)));
  if (mode === "all" || mode === "servers") outcomes.push(...(await serverRuns(rest.length > 0 ? rest : ["kv", "envelope"], outputDir)));
  if (mode === "all" || (mode === "servers" && rest.length === 0) || mode === "orchestrator") outcomes.push(...(await orchestratorRuns(outputDir, sessions)));
} finally {
  await rm(outputDir, { recursive: true, force: true });
}

console.log("\nMCP conformance:");
for (const { target, scenario, passed } of outcomes) console.log(`  ${passed ? "pass" : "FAIL"}  ${target}: ${scenario}`);
if (mode === "all" || mode === "clients") {
  for (const [scenario, why] of Object.entries(NOT_APPLICABLE_CLIENT_SCENARIOS)) console.log(`  n/a   runtime client: ${scenario} (${why})`);
}
const ran = new Set(outcomes.map((o) => `${o.target}: ${o.scenario}`));
const judged: Array<[string, Record<string, Verdict>]> = [];
if (mode === "all" || mode === "servers") judged.push(["tools servers", TOOLS_SERVER_VERDICTS]);
if (mode === "all" || (mode === "servers" && rest.length === 0) || mode === "orchestrator") judged.push(["orchestrator /mcp", ORCHESTRATOR_VERDICTS]);
for (const [target, verdicts] of judged) {
  for (const [scenario, verdict] of Object.entries(verdicts)) {
    if (verdict === "pass" || ran.has(`${target}: ${scenario}`)) continue;
    const [label, why] = notRun(verdict);
    console.log(`  ${label} ${target}: ${scenario} (${why})`);
  }
}
for (const scenario of unjudged) console.log(`  FAIL  the suite's server scenario ${scenario} has no verdict in test/mcp-conformance/scenarios.ts`);
const failures = outcomes.filter((o) => !o.passed).length + unjudged.length;
console.log(failures === 0 ? "all expected conformance scenarios passed" : `${failures} conformance failure(s)`);
process.exit(failures === 0 ? 0 : 1);
