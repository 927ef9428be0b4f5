// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, an exact-pinned
// devDependency: nothing is downloaded) offline, against both of ktsu's MCP sides:
//
//   npm run build:workers                  # bundles dist/tools and the orchestrator double (servers only)
//   npm run test:mcp                       # everything: node test/mcp-conformance/run.ts
//   node test/mcp-conformance/run.ts clients
//   node test/mcp-conformance/run.ts servers [server…]   # default: kv envelope
//   node test/mcp-conformance/run.ts orchestrator   # /mcp on the local stack (also in all, servers)
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
// verdict per target; the ones expected to pass run.
//
// Exit code 1 when a scenario expected to pass fails, or when the suite lists a server scenario
// scenarios.ts has no verdict for. Results: docs/runtime.md, "MCP conformance".
import path from "node:path";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import {
  CLIENT_SCENARIOS,
  NOT_APPLICABLE_CLIENT_SCENARIOS,
  ORCHESTRATOR_VERDICTS,
  scenariosToRun,
  TOOLS_SERVER_VERDICTS,
  unjudgedScenarios,
  type Verdict,
} from "./scenarios.ts";
import { resultsDir, runSuite, startOrchestratorMcp, startToolsWorker, suiteServerScenarios } from "./targets.ts";

const CLIENT = path.join(REPO_ROOT, "test", "mcp-conformance", "client.ts");

interface Outcome {
  target: string;
  scenario: string;
  passed: boolean;
}

async function clientRuns(outputDir: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const scenario of CLIENT_SCENARIOS) {
    console.log(`\n=== runtime client: ${scenario}`);
    const { code } = await runSuite(["client", "--command", `${process.execPath} ${CLIENT}`, "--scenario", scenario], outputDir);
    outcomes.push({ target: "runtime client", scenario, passed: code === 0 });
  }
  return outcomes;
}

/** Runs `scenarios` against `url`, reported under `target`. */
async function serverScenarioRuns(target: string, url: URL, scenarios: string[], outputDir: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const scenario of scenarios) {
    console.log(`\n=== ${target}: ${scenario}`);
    const { code } = await runSuite(["server", "--url", url.toString(), "--scenario", scenario], outputDir);
    outcomes.push({ target, scenario, passed: code === 0 });
  }
  return outcomes;
}

async function serverRuns(servers: string[], outputDir: string): Promise<Outcome[]> {
  const tools = await startToolsWorker();
  const outcomes: Outcome[] = [];
  try {
    for (const server of servers) {
      const url = new URL(`/mcp/${server}`, tools.url);
      outcomes.push(...(await serverScenarioRuns(`tools server ${server}`, url, scenariosToRun(TOOLS_SERVER_VERDICTS), outputDir)));
    }
  } finally {
    await tools.dispose();
  }
  return outcomes;
}

async function orchestratorRuns(outputDir: string): Promise<Outcome[]> {
  const mcp = await startOrchestratorMcp();
  try {
    return await serverScenarioRuns("orchestrator /mcp", mcp.url, scenariosToRun(ORCHESTRATOR_VERDICTS), outputDir);
  } finally {
    await mcp.dispose();
  }
}

/** How the summary shows a scenario that was not run: its label and the reason. */
function notRun(verdict: Exclude<Verdict, "pass">): [string, string] {
  return ["n/a  ", verdict.notApplicable];
}

const args = process.argv.slice(2);
const [mode = "all", ...rest] = args;
if (!["all", "clients", "servers", "orchestrator"].includes(mode)) {
  console.error(`usage: node test/mcp-conformance/run.ts [all|clients|servers [server…]|orchestrator]`);
  process.exit(2);
}
const unjudged = unjudgedScenarios(suiteServerScenarios());
const results = await resultsDir();
const outputDir = results.path;
const outcomes: Outcome[] = [];
try {
  if (mode === "all" || mode === "clients") outcomes.push(...(await clientRuns(outputDir)));
  if (mode === "all" || mode === "servers") outcomes.push(...(await serverRuns(rest.length > 0 ? rest : ["kv", "envelope"], outputDir)));
  if (mode === "all" || (mode === "servers" && rest.length === 0) || mode === "orchestrator") outcomes.push(...(await orchestratorRuns(outputDir)));
} finally {
  await results.dispose();
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
