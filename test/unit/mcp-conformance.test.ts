// The official MCP conformance suite, offline (test/mcp-conformance/run.ts): the runtime's MCP
// client on the client scenarios, the tools Worker's servers on the server scenarios. The server
// half serves dist/tools, which `npm test` builds first (pretest).
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { CLIENT_SCENARIOS, SERVER_SCENARIOS } from "../mcp-conformance/scenarios.ts";

function runConformance(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "test", "mcp-conformance", "run.ts")], { cwd: REPO_ROOT });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("MCP conformance suite", () => {
  // A bound for a stuck run, not a speed limit (measured ~17 s on an idle machine).
  it("passes every scenario that applies, for the runtime's client and the tools servers", { timeout: 300_000 }, async () => {
    const { code, output } = await runConformance();
    const summary = output.slice(output.lastIndexOf("MCP conformance:"));
    for (const scenario of CLIENT_SCENARIOS) expect(summary).toContain(`pass  runtime client: ${scenario}\n`);
    for (const server of ["kv", "envelope"]) {
      for (const scenario of SERVER_SCENARIOS) expect(summary).toContain(`pass  tools server ${server}: ${scenario}\n`);
    }
    expect(summary).not.toContain("FAIL");
    expect(code, output).toBe(0);
  });
});
