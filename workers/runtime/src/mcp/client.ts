// One connected MCP server: the SDK client over a binding-backed transport.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { ToolServerSpec } from "../../../../shared/contracts/runtime.ts";
import { MCP_REQUEST_TIMEOUT_MS, routeFor, type TransportBindings } from "./transport.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";

export const CLIENT_INFO = { name: "ktsu", version: "0.1.0" };

/** Stops a server that pages forever from keeping discovery busy. */
const MAX_LIST_PAGES = 50;

export interface McpTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface McpConnection {
  listTools(): Promise<McpTool[]>;
  /** The text of the first content block ("" when there is none), as the original runtime returned it. */
  callTool(name: string, args: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Connects (the SDK sends `initialize` and `notifications/initialized`). */
export async function connectServer(spec: ToolServerSpec, bindings: TransportBindings): Promise<McpConnection> {
  const route = routeFor(spec, bindings);
  if ("error" in route) throw new Error(route.error);
  const transport = new StreamableHTTPClientTransport(route.endpoint, { fetch: route.fetch });
  // The default ajv validator compiles with eval, which workerd forbids.
  const client = new Client(CLIENT_INFO, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  try {
    await client.connect(transport, { timeout: MCP_REQUEST_TIMEOUT_MS });
  } catch (err) {
    await client.close().catch(() => {});
    throw new Error(`initialize server ${spec.name}: ${errorMessage(err)}`, { cause: err });
  }

  return {
    async listTools() {
      const tools: McpTool[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const result = await client.listTools(cursor === undefined ? undefined : { cursor }, { timeout: MCP_REQUEST_TIMEOUT_MS });
        for (const tool of result.tools) {
          tools.push({ name: tool.name, description: tool.description ?? "", inputSchema: tool.inputSchema as Record<string, unknown> });
        }
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return tools;
    },
    async callTool(name, args) {
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: MCP_REQUEST_TIMEOUT_MS });
      const first = Array.isArray(result.content) ? (result.content[0] as { text?: unknown } | undefined) : undefined;
      return typeof first?.text === "string" ? first.text : "";
    },
    close: () => client.close(),
  };
}
