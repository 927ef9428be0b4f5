import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { createWorkflowServer } from "../mcp/server.ts";
import { requireAdminToken } from "./admin-auth.ts";
import type { OrchestratorApp } from "./app-type.ts";
import { readJsonBody } from "./body.ts";

/**
 * `/mcp`: the workflows as MCP tools over streamable HTTP. It needs the admin token like the
 * other admin routes (a workflow's `invoke.auth` is not consulted here), and passes the app's
 * Host and cross-site checks. Stateless: a server and transport per request, so any Worker
 * instance answers; a call's progress streams as SSE on its own response.
 */
export function registerMcpRoute(app: OrchestratorApp): void {
  app.use("/mcp", requireAdminToken);
  app.all("/mcp", async (c) => {
    let parsedBody: unknown;
    if (c.req.method === "POST") {
      const body = await readJsonBody(c);
      if (!body.ok) {
        const code = body.status === 413 ? -32600 : -32700;
        return c.json({ jsonrpc: "2.0", error: { code, message: body.message }, id: null }, body.status);
      }
      parsedBody = body.value;
    }
    const server = createWorkflowServer(c.env);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    return transport.handleRequest(c.req.raw, parsedBody === undefined ? {} : { parsedBody });
  });
}
