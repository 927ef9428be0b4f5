// The official MCP conformance suite's server scenarios (@modelcontextprotocol/conformance, its
// CLI as a child process) against the orchestrator's /mcp on the local stack with
// test/fixtures/mcp-conformance-project, and against the tools Worker's first-party servers:
// every scenario test/mcp-conformance/scenarios.ts expects to pass. The client scenarios stay
// in `npm run test:mcp` (sse-retry times the client's reconnect, which a loaded machine can miss).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORCHESTRATOR_VERDICTS, scenariosToRun, TOOLS_SERVER_VERDICTS, unjudgedScenarios } from "../mcp-conformance/scenarios.ts";
import { resultsDir, runSuite, startOrchestratorMcp, startToolsWorker, suiteServerScenarios, type Target } from "../mcp-conformance/targets.ts";

let results: Awaited<ReturnType<typeof resultsDir>>;

beforeAll(async () => {
  results = await resultsDir();
});
afterAll(async () => {
  await results?.dispose();
});

async function expectPasses(url: URL, scenario: string): Promise<void> {
  const run = await runSuite(["server", "--url", url.toString(), "--scenario", scenario], results.path, "collect");
  expect(run.code, run.output).toBe(0);
}

it("gives every server scenario the suite lists a verdict for each target", () => {
  expect(unjudgedScenarios(suiteServerScenarios())).toEqual([]);
});

describe("orchestrator /mcp", () => {
  let mcp: Target | undefined;
  beforeAll(async () => {
    mcp = await startOrchestratorMcp();
  });
  afterAll(async () => {
    await mcp?.dispose();
  });

  it.each(scenariosToRun(ORCHESTRATOR_VERDICTS))("passes %s", async (scenario) => {
    await expectPasses(mcp!.url, scenario);
  });

  it("checks json_schema_2020_12_tool's arguments by draft 2020-12 ($ref into $defs, additionalProperties)", async () => {
    const client = new Client({ name: "conformance-fixture", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(mcp!.url));
    try {
      const call = (args: Record<string, unknown>) => client.callTool({ name: "json_schema_2020_12_tool", arguments: args });
      const ok = await call({ name: "Ada", address: { street: "Main St", city: "Oslo" } });
      expect(ok.isError, JSON.stringify(ok)).toBeFalsy();
      const wrongRef = await call({ address: { city: 7 } });
      expect(wrongRef.isError).toBe(true);
      expect(JSON.stringify(wrongRef.content)).toMatch(/city/);
      expect((await call({ nickname: "A" })).isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe("tools Worker servers", () => {
  let tools: Target | undefined;
  beforeAll(async () => {
    tools = await startToolsWorker();
  });
  afterAll(async () => {
    await tools?.dispose();
  });

  for (const server of ["kv", "envelope"]) {
    it.each(scenariosToRun(TOOLS_SERVER_VERDICTS))(`${server} passes %s`, async (scenario) => {
      await expectPasses(new URL(`/mcp/${server}`, tools!.url), scenario);
    });
  }
});
