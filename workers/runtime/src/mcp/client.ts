// One connected MCP server: the SDK client over a binding-backed transport, streamable
// HTTP first and, for an external server that refuses it, the legacy HTTP+SSE transport.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport, SseError } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike, Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { EGRESS_ERROR_HEADER } from "../../../../shared/contracts/egress.ts";
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

/** The status of the first reply, and whether the gateway produced it itself (a refusal, a timeout). */
interface FirstReply {
  status: number;
  fromGateway: boolean;
}

function recordingFirstReply(fetch: FetchLike, seen: { reply?: FirstReply }): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    seen.reply ??= { status: response.status, fromGateway: response.headers.has(EGRESS_ERROR_HEADER) };
    return response;
  };
}

/**
 * The backwards-compatibility rule of the MCP spec: a server that answers the first POST
 * (the `initialize`) with a 4xx does not speak streamable HTTP, so the legacy transport is tried.
 */
function refusesStreamableHttp(reply: FirstReply | undefined): reply is FirstReply {
  return reply !== undefined && !reply.fromGateway && reply.status >= 400 && reply.status < 500;
}

/** Sends `initialize` and `notifications/initialized` over `transport`, or closes it and throws. */
async function initialize(transport: Transport): Promise<Client> {
  // The default ajv validator compiles with eval, which workerd forbids.
  const client = new Client(CLIENT_INFO, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  try {
    await client.connect(transport, { timeout: MCP_REQUEST_TIMEOUT_MS });
    return client;
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
}

/**
 * The legacy HTTP+SSE transport. Its session lives on its GET stream: once that stream fails,
 * responses to calls in flight are lost, and the event source's reconnection would open a new,
 * uninitialized session. So the client is closed, and pending and later calls fail at once
 * ("Connection closed") instead of waiting out their timeout.
 */
async function connectLegacy(endpoint: URL, fetch: FetchLike): Promise<Client> {
  let client: Client | undefined;
  const transport = new SSEClientTransport(endpoint, { fetch });
  transport.onerror = (error) => {
    if (error instanceof SseError && client) client.close().catch(() => {});
  };
  client = await initialize(transport);
  return client;
}

/** Connects (the SDK sends `initialize` and `notifications/initialized`). */
export async function connectServer(spec: ToolServerSpec, bindings: TransportBindings): Promise<McpConnection> {
  const route = routeFor(spec, bindings);
  if ("error" in route) throw new Error(route.error);
  const first: { reply?: FirstReply } = {};
  let client: Client;
  try {
    client = await initialize(new StreamableHTTPClientTransport(route.endpoint, { fetch: recordingFirstReply(route.fetch, first) }));
  } catch (err) {
    if (!route.legacyFetch || !refusesStreamableHttp(first.reply)) {
      throw new Error(`initialize server ${spec.name}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      client = await connectLegacy(route.endpoint, route.legacyFetch);
    } catch (legacyErr) {
      const refused = `streamable HTTP refused (HTTP ${first.reply.status})`;
      throw new Error(`initialize server ${spec.name}: ${refused}; legacy HTTP+SSE: ${errorMessage(legacyErr)}`, { cause: legacyErr });
    }
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
