// The runtime's MCP client as a client under test for the conformance suite's client
// scenarios: `conformance client --command "node test/mcp-conformance/client.ts"` starts a
// scenario's test server, then runs this with the server URL as the last argument and the
// scenario in MCP_CONFORMANCE_SCENARIO.
//
// It drives the runtime's real code (workers/runtime/src/mcp: discovery, transport choice,
// tool calls) with a `gateway` binding that is the gateway's real egress handler
// (workers/gateway/src/egress.ts) allowing only the scenario server's host: the same path an
// external MCP server is reached by in the stack, with Node's fetch as the network edge.
import { Hono } from "hono";
import { EGRESS_PATH } from "../../shared/contracts/egress.ts";
import { DEFAULT_EGRESS_POLICY, handleEgress } from "../../workers/gateway/src/egress.ts";
import { discoverTools } from "../../workers/runtime/src/mcp/toolbox.ts";

// Type-checked with the Worker code it drives (tsconfig.workers.json), which has no Node types.
declare const process: { argv: string[]; env: Record<string, string | undefined>; exit(code: number): never };

/** The tool each scenario expects a call of, with its arguments; `null`: connect and list only. */
const CALLS: Record<string, { tool: string; args: Record<string, unknown> } | null> = {
  initialize: null,
  tools_call: { tool: "add_numbers", args: { a: 5, b: 3 } },
  "sse-retry": { tool: "test_reconnection", args: {} },
  "elicitation-sep1034-client-defaults": { tool: "test_client_elicitation_defaults", args: {} },
};

const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? "";
const serverUrl = process.argv.at(-1) ?? "";
if (!(scenario in CALLS)) {
  console.error(`client.ts: no behaviour for scenario "${scenario}"`);
  process.exit(2);
}

const egress = new Hono().all(EGRESS_PATH, (c) => handleEgress(c, { ...DEFAULT_EGRESS_POLICY, allowHosts: [new URL(serverUrl).host] }));
const gateway = { fetch: (input: RequestInfo | URL, init?: RequestInit) => egress.fetch(new Request(input, init)) } as unknown as Fetcher;
const tools = {
  fetch: () => Promise.reject(new Error("no first-party servers in a conformance run")),
} as unknown as Fetcher;

const discovery = await discoverTools([{ name: "conformance", url: serverUrl, allowlist: ["*"] }], {
  gateway,
  tools,
  run_id: "run_conformance",
  step_id: "step",
});
if (!discovery.ok) {
  console.error(discovery.error);
  process.exit(1);
}
console.log(`tools: ${discovery.toolbox.definitions.map((t) => t.name).join(", ") || "(none)"}`);
let failed = false;
const call = CALLS[scenario];
try {
  if (call) console.log(`${call.tool} → ${await discovery.toolbox.call(call.tool, call.args)}`);
} catch (err) {
  console.error(`${call?.tool}: ${err instanceof Error ? err.message : String(err)}`);
  failed = true;
} finally {
  await discovery.toolbox.close();
}
process.exit(failed ? 1 : 0);
