import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import type { ToolsEnv } from "./env.ts";
import { createKvServer } from "./servers/kv.ts";

export { KvNamespaceDO } from "./kv-do.ts";

/** Namespace for stateful servers: the agent's `persistent_id`, sent as the original's `persistentId` query. */
function namespaceOf(url: URL): string {
  return url.searchParams.get("persistentId") || "default";
}

const servers: Record<string, (env: ToolsEnv, url: URL) => McpServer> = {
  kv: (env, url) => createKvServer(env, namespaceOf(url)),
};

const app = createServiceApp<{ Bindings: ToolsEnv }>("tools");

app.get("/mcp", (c) => c.json({ servers: Object.keys(servers) }));

// Stateless streamable HTTP: a fresh server and transport per request.
app.all("/mcp/:name", async (c) => {
  const factory = servers[c.req.param("name")];
  if (!factory) return c.json({ error: "not_found", message: `no MCP server named "${c.req.param("name")}"` }, 404);
  const server = factory(c.env, new URL(c.req.url));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(c.req.raw);
});

export default app;
