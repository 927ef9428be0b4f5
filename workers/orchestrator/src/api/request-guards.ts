import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { HOST_HEADER, hostName } from "../../../../shared/http/host.ts";
import type { OrchestratorEnv } from "../env.ts";

type Guard = MiddlewareHandler<{ Bindings: OrchestratorEnv }>;

/** `KTSU_ALLOWED_HOSTS` (comma-separated names), or null when every host is served (the deployed default). */
function allowedHosts(env: OrchestratorEnv): Set<string> | null {
  const setting = env.KTSU_ALLOWED_HOSTS;
  if (typeof setting !== "string" || setting.trim() === "") return null;
  return new Set(
    setting
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * A malformed Host is a 400, never routed. When `KTSU_ALLOWED_HOSTS` is set (the local stack sets
 * the loopback names and `--host`), any other name is a 400 too: a DNS-rebinding page, whose
 * requests carry its own name, cannot reach the API through the user's browser.
 */
export const checkHost: Guard = async (c, next) => {
  const header = c.req.header("host");
  if (header === undefined) return next();
  if (!HOST_HEADER.test(header)) return c.json({ error: "invalid_host", message: "the Host header is malformed" }, 400);
  const allowed = allowedHosts(c.env);
  if (allowed && !allowed.has(hostName(header))) {
    return c.json({ error: "invalid_host", message: `this server does not answer to the host name ${hostName(header)}` }, 400);
  }
  return next();
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Why a request comes from a page of another origin, or null when it does not (or says nothing: curl, scripts). */
export function crossSiteReason(method: string, header: (name: string) => string | undefined, requestHost: string): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const site = header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site is ${site}`;
  const origin = header("origin");
  if (origin === undefined) return null;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return `Origin ${origin} is not this server`;
  }
  return originHost === requestHost.toLowerCase() ? null : `Origin ${origin} is not this server`;
}

/**
 * A state-changing request sent by a page of another origin is refused (403) before it is read:
 * a browser sends a `text/plain` form or `no-cors` fetch without asking, and bodies are read
 * whatever their content type. Requests without an Origin (curl, scripts, the CLI) pass.
 */
export const refuseCrossSite: Guard = async (c, next) => {
  const reason = crossSiteReason(c.req.method, (name) => c.req.header(name), c.req.header("host") ?? new URL(c.req.url).host);
  if (reason) return c.json({ error: "forbidden", message: `cross-site request refused (${reason})` }, 403);
  return next();
};

/**
 * The API's answers are data, never pages: no content may load in them, nothing may frame them,
 * and browsers must not guess another content type. (The viewer's files get their own policy,
 * ui/_headers.)
 */
const setSecurityHeaders: Guard = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: "DENY",
});

export const apiSecurityHeaders: Guard = (c, next) =>
  setSecurityHeaders(c, async () => {
    await next();
    // A response passed through from a Durable Object (the event stream) has immutable headers.
    c.res = new Response(c.res.body, c.res);
  });
