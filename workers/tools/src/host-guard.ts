import type { MiddlewareHandler } from "hono";
import { HOST_HEADER, hostName } from "../../../shared/http/host.ts";

/**
 * The names the tools Worker answers to: `tools`, the name the runtime's service binding
 * addresses it by (`https://tools/mcp/<name>`), and the loopback names it has when served
 * alone on a local port (the conformance run). It has no public URL.
 */
const ANSWERS_TO = new Set(["tools", "localhost", "127.0.0.1", "[::1]"]);

function refused(reason: string): Response {
  return Response.json({ error: "invalid_host", message: reason }, { status: 403 });
}

/**
 * DNS-rebinding protection for the MCP servers: a request whose Host or Origin names anything
 * else is refused with a 403 before an MCP server sees it. A page on another site that got a
 * local name to resolve to the Worker's address sends its own name in both. The runtime's
 * requests carry no Origin; one that is present must name an allowed host too.
 */
export const refuseForeignHost: MiddlewareHandler = async (c, next) => {
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  if (!HOST_HEADER.test(host) || !ANSWERS_TO.has(hostName(host))) return refused(`the tools Worker does not answer to the host ${host}`);
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return refused(`Origin ${origin} is not a host the tools Worker answers to`);
    }
    if (!ANSWERS_TO.has(hostName(originHost))) return refused(`Origin ${origin} is not a host the tools Worker answers to`);
  }
  return next();
};
