// An MCP server that speaks only the legacy HTTP+SSE transport (protocol 2024-11-05), built
// on the SDK's own SSEServerTransport: `GET /sse` opens the event stream, whose first
// `endpoint` event names `/messages?sessionId=…` for the POSTs, and every response arrives
// as a `message` event on that stream. A POST to `/sse` (a streamable HTTP attempt) is 405.
// Control: GET /__requests (everything it received, in order), GET /__sessions.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { z } from "zod";

interface LegacyRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

interface LegacySession {
  id: string;
  /** Whether the GET stream has been closed (by the client, or by `legacy_drop`). */
  closed: boolean;
}

export interface LegacySseMcp {
  url: string;
  close(): Promise<void>;
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
  return headers;
}

function mcpServer(drop: () => void): McpServer {
  const server = new McpServer({ name: "legacy", version: "1.0.0" });
  server.registerTool("legacy_echo", { description: "Returns its text.", inputSchema: { text: z.string() } }, ({ text }) => ({
    content: [{ type: "text", text: `echo: ${text}` }],
  }));
  // Ends the event stream instead of answering: the response to this call is lost with it.
  server.registerTool("legacy_drop", { description: "Closes the session's event stream." }, () => {
    drop();
    return new Promise<never>(() => {});
  });
  return server;
}

export async function startLegacySseMcp(): Promise<LegacySseMcp> {
  const requests: LegacyRequest[] = [];
  const sessions = new Map<string, { transport: SSEServerTransport; state: LegacySession }>();
  const http: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://legacy");
    if (url.pathname === "/__requests") return res.end(JSON.stringify({ requests }));
    if (url.pathname === "/__sessions") return res.end(JSON.stringify({ sessions: [...sessions.values()].map((s) => s.state) }));
    requests.push({ method: req.method ?? "", path: url.pathname + url.search, headers: headersOf(req) });
    if (url.pathname === "/sse" && req.method === "GET") {
      const transport = new SSEServerTransport("/messages", res);
      const state: LegacySession = { id: transport.sessionId, closed: false };
      sessions.set(transport.sessionId, { transport, state });
      res.on("close", () => {
        state.closed = true;
      });
      await mcpServer(() => res.destroy()).connect(transport);
      return;
    }
    if (url.pathname === "/messages" && req.method === "POST") {
      const session = sessions.get(url.searchParams.get("sessionId") ?? "");
      if (!session) return res.writeHead(404).end("unknown session");
      return session.transport.handlePostMessage(req, res);
    }
    res.writeHead(url.pathname === "/sse" ? 405 : 404, { allow: "GET" }).end();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
