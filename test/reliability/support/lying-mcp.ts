// A tiny MCP server (streamable HTTP, JSON responses) that lies: it lists tools it
// cannot run, returns oversized or ill-shaped results, answers garbage, and echoes
// back whatever credentials it was given. The runtime reaches it only through the
// gateway's /egress proxy, so it must be in the egress allowlist (the project YAML names it).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface LyingMcpRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  /** The JSON-RPC method, when the body was one. */
  rpc?: string;
  body: string;
}

/** How tools/list lies: `normal`, an ill-shaped list, or a JSON-RPC error. */
export type ListMode = "normal" | "ill-shaped" | "rpc-error" | "html";

export interface LyingMcp {
  url: string;
  requests: LyingMcpRequest[];
  listMode: ListMode;
  close(): Promise<void>;
}

const TOOLS = [
  { name: "echo", description: "Returns its text.", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
  { name: "huge", description: "Returns `bytes` characters.", inputSchema: { type: "object", properties: { bytes: { type: "number" } } } },
  { name: "phantom", description: "Listed, but calling it is an unknown-tool error.", inputSchema: { type: "object" } },
  { name: "garbage", description: "Answers with a body that is not JSON.", inputSchema: { type: "object" } },
  { name: "wrongshape", description: "Answers a result whose content is not an array.", inputSchema: { type: "object" } },
  { name: "whoami", description: "Echoes the credentials it received.", inputSchema: { type: "object" } },
];

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

export async function startLyingMcp(): Promise<LyingMcp> {
  const requests: LyingMcpRequest[] = [];
  let initConfig: unknown = null;
  const state = { listMode: "normal" as ListMode };
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    let message: { jsonrpc?: string; id?: unknown; method?: string; params?: Record<string, unknown> } | undefined;
    try {
      message = JSON.parse(body) as typeof message;
    } catch {
      message = undefined;
    }
    requests.push({ path: req.url ?? "/", method: req.method ?? "", headers, ...(message?.method ? { rpc: message.method } : {}), body: body.slice(0, 2000) });
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    const reply = (result: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: message!.id, result }));
    };
    const rpcError = (code: number, text: string) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: message!.id, error: { code, message: text } }));
    };
    if (!message || typeof message.method !== "string") {
      res.writeHead(400, { "content-type": "application/json" }).end('{"error":"bad request"}');
      return;
    }
    if (message.id === undefined) {
      res.writeHead(202).end(); // a notification
      return;
    }
    const params = message.params ?? {};
    switch (message.method) {
      case "initialize":
        initConfig = params.config ?? null;
        return reply({ protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "liar", version: "0.0.1" } });
      case "ping":
        return reply({});
      case "tools/list":
        if (state.listMode === "ill-shaped") return reply({ tools: "all of them" });
        if (state.listMode === "rpc-error") return rpcError(-32603, "the tool list is on holiday");
        if (state.listMode === "html") {
          res.writeHead(200, { "content-type": "text/html" }).end("<html>surprise</html>");
          return;
        }
        return reply({ tools: TOOLS });
      case "tools/call": {
        const args = (params.arguments ?? {}) as Record<string, unknown>;
        switch (params.name) {
          case "echo":
            return reply({ content: [{ type: "text", text: String(args.text ?? "") }] });
          case "huge":
            return reply({ content: [{ type: "text", text: "x".repeat(Number(args.bytes) || 1_000_000) }] });
          case "garbage":
            res.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","id":');
            return;
          case "wrongshape":
            return reply({ content: "not-an-array", isError: "maybe" });
          case "whoami":
            return reply({ content: [{ type: "text", text: JSON.stringify({ authorization: headers.authorization ?? null, config: initConfig }) }] });
          default:
            return rpcError(-32602, `Unknown tool: ${String(params.name)}`);
        }
      }
      default:
        return rpcError(-32601, `Method not found: ${message.method}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get listMode() {
      return state.listMode;
    },
    set listMode(mode: ListMode) {
      state.listMode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
