import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createServiceApp } from "../../../shared/http/service-app.ts";
import type { ToolsEnv } from "./env.ts";
import { refuseForeignHost } from "./host-guard.ts";
import { requestContext, type RequestContext } from "./request-context.ts";
import { createEnvelopeServer } from "./servers/envelope.ts";
import { createKvServer } from "./servers/kv.ts";

export { KvNamespaceDO } from "./kv-do.ts";

/** First-party servers, named in server files as `url: ktsu://tools/<name>`. */
const servers: Record<string, (env: ToolsEnv, context: RequestContext) => McpServer> = {
  kv: createKvServer,
  envelope: createEnvelopeServer,
};

const app = createServiceApp<{ Bindings: ToolsEnv }>("tools");

app.use("/mcp/*", refuseForeignHost);

app.get("/mcp", (c) => c.json({ servers: Object.keys(servers) }));

// Stateless streamable HTTP: a fresh server and transport per request.
app.all("/mcp/:name", async (c) => {
  const factory = Object.hasOwn(servers, c.req.param("name")) ? servers[c.req.param("name")] : undefined;
  if (!factory) return c.json({ error: "not_found", message: `no MCP server named "${c.req.param("name")}"` }, 404);
  const server = factory(c.env, requestContext(c.req.raw));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(c.req.raw);
});

export default app;
