// Tool discovery across an agent's servers and routing of calls.
import type { ApprovalRuleSpec, ToolServerSpec } from "../../../../shared/contracts/runtime.ts";
import type { GatewayTool } from "../gateway-client.ts";
import { allowlistPermits, approvalRuleFor } from "./allowlist.ts";
import { connectServer, type McpConnection } from "./client.ts";
import type { TransportBindings } from "./transport.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";

/** Servers discovered at the same time; the platform allows 6 open connections per invocation. */
const DISCOVERY_CONCURRENCY = 4;

interface DiscoveredServer {
  spec: ToolServerSpec;
  connection: McpConnection;
  tools: GatewayTool[];
}

export interface Toolbox {
  /** What the model is offered: every permitted tool, one definition per name. */
  readonly definitions: GatewayTool[];
  /** Whether the model may call `name` (it was discovered and permitted). */
  has(name: string): boolean;
  approvalRule(name: string): ApprovalRuleSpec | undefined;
  /** The name of the server a permitted tool is called on (for the step's call records). */
  serverOf(name: string): string | undefined;
  call(name: string, args: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export type Discovery = { ok: true; toolbox: Toolbox } | { ok: false; error: string };

async function discoverOne(spec: ToolServerSpec, bindings: TransportBindings): Promise<DiscoveredServer | null> {
  // An empty allowlist means no tools, and no request at all.
  if (!Array.isArray(spec.allowlist) || spec.allowlist.length === 0) return null;
  const connection = await connectServer(spec, bindings);
  try {
    const listed = await connection.listTools();
    const tools = listed
      .filter((tool) => allowlistPermits(spec.allowlist, tool.name))
      .map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.inputSchema }));
    return { spec, connection, tools };
  } catch (err) {
    await connection.close().catch(() => {});
    throw err;
  }
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: "fulfilled", value: await work(items[index]!) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function discoverTools(specs: readonly ToolServerSpec[], bindings: TransportBindings): Promise<Discovery> {
  const settled = await mapLimited(specs, DISCOVERY_CONCURRENCY, (spec) => discoverOne(spec, bindings));
  const servers = settled.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
  const failedAt = settled.findIndex((r) => r.status === "rejected");
  if (failedAt >= 0) {
    await Promise.all(servers.map((s) => s.connection.close().catch(() => {})));
    const reason = (settled[failedAt] as PromiseRejectedResult).reason;
    return { ok: false, error: `discover tools from ${specs[failedAt]!.name}: ${errorMessage(reason)}` };
  }

  // Tool names are global: a name exposed by two servers routes to the later one (as the
  // original), and only that definition is offered (providers reject duplicate names).
  const owner = new Map<string, DiscoveredServer>();
  const definition = new Map<string, GatewayTool>();
  for (const server of servers) {
    for (const tool of server.tools) {
      owner.set(tool.name, server);
      definition.set(tool.name, tool);
    }
  }

  return {
    ok: true,
    toolbox: {
      definitions: [...definition.values()],
      has: (name) => owner.has(name),
      approvalRule: (name) => approvalRuleFor(owner.get(name)?.spec.approval_rules, name),
      serverOf: (name) => owner.get(name)?.spec.name,
      call: (name, args) => {
        const server = owner.get(name);
        if (!server) return Promise.reject(new Error(`tool_not_permitted: ${name}`));
        return server.connection.callTool(name, args);
      },
      close: async () => {
        await Promise.all(servers.map((s) => s.connection.close().catch(() => {})));
      },
    },
  };
}
