// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, fetched by
// npx; not a project dependency) against the tools Worker's first-party servers.
//
//   npm run build:workers                      # bundles dist/tools and the orchestrator double
//   node test/mcp-conformance/run.ts [server…] # default: kv envelope
//
// The tools Worker is served alone by Miniflare on a free local port (in the stack it is
// reachable only through bindings); its ORCHESTRATOR binding goes to the recording
// orchestrator double. Only the scenarios that apply to a tools-only server are run: the
// others need the suite's own test tools, prompts or resources. Exit code 1 when any fails.
// Last run (2026-11, suite 0.1.16): all 6 runs (3 scenarios × kv, envelope) passed.
import { spawn } from "node:child_process";
import path from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions, type LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions } from "wrangler";
import { OFFLINE_ENV, REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { localWorkerOptions } from "../../cli/src/stack/stack.ts";

const CONFORMANCE = "@modelcontextprotocol/conformance@0.1.16";
// Not `dns-rebinding-protection`: it targets servers listening on localhost, while the tools
// Worker has no public URL at all (workers_dev: false) and is reached only over bindings.
const SCENARIOS = ["server-initialize", "ping", "tools-list"];
const servers = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["kv", "envelope"];
const dist = path.join(REPO_ROOT, "dist");

Object.assign(process.env, OFFLINE_ENV);

function orchestratorDouble(): LegacyWorkerOptions {
  const config = path.join(REPO_ROOT, "test", "workers", "support", "recording-orchestrator", "wrangler.jsonc");
  const { modulesRules: _rules, ...fromConfig } = getMiniflareWorkerOptions(config).workerOptions;
  const entry = path.join(dist, "recording-orchestrator", "index.js");
  return {
    ...(fromConfig as Omit<LegacyWorkerOptions, "scriptPath">),
    name: "ktsu-orchestrator",
    modules: true,
    scriptPath: entry,
    modulesRoot: path.dirname(entry),
  };
}

function runSuite(url: string, scenario: string): Promise<number> {
  // The suite needs Node 22 (fs.globSync): put this process's node first on PATH.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
  return new Promise((resolve) => {
    const child = spawn("npx", ["-y", CONFORMANCE, "server", "--url", url, "--scenario", scenario], { stdio: "inherit", env });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

const miniflare = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new Log(LogLevel.WARN),
    workers: [localWorkerOptions("tools", path.join(dist, "tools", "index.js")), orchestratorDouble()],
  } as Parameters<typeof convertV4MiniflareOptions>[0]),
);

let failures = 0;
try {
  const base = await miniflare.ready;
  for (const server of servers) {
    for (const scenario of SCENARIOS) {
      console.log(`\n=== ${server}: ${scenario}`);
      if ((await runSuite(new URL(`/mcp/${server}`, base).toString(), scenario)) !== 0) failures++;
    }
  }
} finally {
  await miniflare.dispose();
}
console.log(failures === 0 ? "\nall conformance scenarios passed" : `\n${failures} conformance scenario run(s) failed`);
process.exit(failures === 0 ? 0 : 1);
