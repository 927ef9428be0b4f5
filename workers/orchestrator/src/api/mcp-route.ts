import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { OrchestratorEnv } from "../env.ts";
import { createWorkflowServer } from "../mcp/server.ts";
import { sessionNotFound } from "../mcp/session-not-found.ts";
import { requireAdminToken } from "./admin-auth.ts";
import type { OrchestratorApp } from "./app-type.ts";
import { readJsonBody } from "./body.ts";

const SESSION_HEADER = "mcp-session-id";

/** The session's Durable Object: a new one for an initialize, the named one otherwise (an id that is not one of ours: none). */
function sessionStub(env: OrchestratorEnv, sessionId: string | null): DurableObjectStub | null {
  const sessions = env.MCP_SESSIONS;
  if (sessionId === null) return sessions.get(sessions.newUniqueId());
  try {
    return sessions.get(sessions.idFromString(sessionId));
  } catch {
    return null;
  }
}

/** The request as the session's object receives it: the body already read and checked, passed on as JSON. */
function forwarded(request: Request, body: unknown): Request {
  const headers = new Headers(request.headers);
  headers.delete("content-length"); // the body is serialized again
  return new Request(request.url, { method: request.method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Without a session: a fresh server and transport for this one request (clients that do not keep the session id). */
async function statelessAnswer(env: OrchestratorEnv, request: Request, body: unknown): Promise<Response> {
  const server = createWorkflowServer(env);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  await server.connect(transport);
  return transport.handleRequest(request, body === undefined ? {} : { parsedBody: body });
}

/**
 * `/mcp`: the workflows as MCP tools over streamable HTTP. It needs the admin token like the
 * other admin routes (a workflow's `invoke.auth` is not consulted here), and passes the app's
 * Host and cross-site checks. An initialize opens a session, a Durable Object of its own whose
 * id is the `Mcp-Session-Id`; every later request naming it goes there. A request without a
 * session id (a client that does not keep it) is answered statelessly by this Worker.
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
    const sessionId = c.req.header(SESSION_HEADER) ?? null;
    // A stream to listen on (GET) or a session to end (DELETE) only exists within a session.
    if (sessionId === null && c.req.method !== "POST") {
      return c.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed without an Mcp-Session-Id" }, id: null }, 405, {
        allow: "POST",
      });
    }
    if (sessionId === null && !isInitializeRequest(parsedBody)) return statelessAnswer(c.env, c.req.raw, parsedBody);
    const stub = sessionStub(c.env, sessionId);
    return stub ? stub.fetch(forwarded(c.req.raw, parsedBody)) : sessionNotFound();
  });
}
