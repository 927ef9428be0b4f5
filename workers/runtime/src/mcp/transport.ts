// Where an MCP server lives and how the runtime reaches it without the global fetch:
//   ktsu://tools/<name>[?q]  → the tools Worker over env.TOOLS at /mcp/<name>[?q]
//   http(s)://…              → the gateway's egress proxy (target in its egress URL header)
// `persistent_id` travels as the `persistentId` query parameter on both, where the
// original ktsu put it.
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  FIRST_PARTY_TOOLS_PREFIX,
  TOOLS_PARAMS_HEADER,
  TOOLS_RUN_ID_HEADER,
  TOOLS_STEP_ID_HEADER,
  type ToolServerSpec,
} from "../../../../shared/contracts/runtime.ts";
import { EGRESS_TIMEOUT_HEADER, EGRESS_URL, EGRESS_URL_HEADER } from "../../../../shared/contracts/egress.ts";

/** Upper bound for one MCP request (also handed to the egress proxy). */
export const MCP_REQUEST_TIMEOUT_MS = 120_000;

export interface TransportBindings {
  tools: Fetcher;
  gateway: Fetcher;
  run_id: string;
  step_id: string;
  /** W3C trace context of the step, sent to every server (first-party and external). */
  traceparent?: string;
}

export interface ServerRoute {
  /** The URL the SDK transport believes it talks to. */
  endpoint: URL;
  /** For the streamable HTTP transport. */
  fetch: FetchLike;
  /**
   * For the legacy HTTP+SSE transport (protocol 2024-11-05), offered for external servers only:
   * its GET event stream carries every response, so its GETs go out.
   */
  legacyFetch?: FetchLike;
}

/**
 * Which GETs leave the runtime. A streamable HTTP GET without `Last-Event-ID` opens the
 * standalone stream for server-initiated messages, which ktsu never uses: it is answered 405
 * locally, as the MCP spec allows, so no long-lived connection is held per server. A GET with
 * `Last-Event-ID` resumes a response stream the server closed early (SSE polling): it carries
 * the answer to one of our requests, so it goes out. The legacy transport's GET always goes out.
 */
type GetPolicy = "resumptions" | "all";

function sendsGet(policy: GetPolicy, headers: Headers): boolean {
  return policy === "all" || headers.has("last-event-id");
}

/**
 * Adds the server params to an `initialize` request as `params.config`, the field the
 * original ktsu sends. The SDK builds `initialize` itself and offers no hook
 * for extra params; its servers ignore unknown fields, so this is safe for them too.
 */
export function withInitializeConfig(body: string, config: Record<string, string>): string {
  try {
    const message = JSON.parse(body) as { method?: unknown; params?: Record<string, unknown> };
    if (message.method !== "initialize") return body;
    message.params = { ...(message.params ?? {}), config };
    return JSON.stringify(message);
  } catch {
    return body;
  }
}

function withPersistentId(url: URL, persistentId: string | undefined): URL {
  if (persistentId) url.searchParams.set("persistentId", persistentId);
  return url;
}

/**
 * A fetch for the SDK transports: the auth header rides on every request (the first one
 * too: a server that checks auth refuses an unauthenticated probe). Only the fields the
 * bindings understand are passed on (the SDK's event source adds browser-only ones such as `mode`).
 */
function makeFetch(
  spec: ToolServerSpec,
  extraHeaders: Record<string, string>,
  policy: GetPolicy,
  send: (url: string, init: RequestInit & { headers: Headers }) => Promise<Response>,
): FetchLike {
  const config = spec.params && Object.keys(spec.params).length > 0 ? spec.params : undefined;
  // `url` is the endpoint, or the target of a same-origin redirect the SDK follows.
  return async (url, init) => {
    const method = (init?.method ?? "GET").toUpperCase();
    const headers = new Headers(init?.headers);
    if (method === "GET" && !sendsGet(policy, headers)) return new Response(null, { status: 405, headers: { allow: "POST" } });
    for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
    if (spec.auth_header && spec.auth_value) headers.set(spec.auth_header, spec.auth_value);
    let body = init?.body;
    if (config && typeof body === "string") body = withInitializeConfig(body, config);
    const passed: RequestInit & { headers: Headers } = { method, headers, body, redirect: init?.redirect ?? "manual" };
    if (init?.signal) passed.signal = init.signal;
    return send(url.toString(), passed);
  };
}

/** Resolves a server's URL to a route over a binding, or explains why it cannot. */
export function routeFor(spec: ToolServerSpec, bindings: TransportBindings): ServerRoute | { error: string } {
  if (spec.url.startsWith(FIRST_PARTY_TOOLS_PREFIX)) {
    const named = new URL(spec.url);
    const name = named.pathname.replace(/^\/+/, "");
    if (!/^[a-z0-9_-]+$/i.test(name)) return { error: `invalid first-party server url "${spec.url}": expected ${FIRST_PARTY_TOOLS_PREFIX}<name>` };
    const endpoint = withPersistentId(new URL(`https://tools/mcp/${name}${named.search}`), spec.persistent_id);
    // First-party servers are stateless per request, so the context rides on every request.
    const context: Record<string, string> = { [TOOLS_RUN_ID_HEADER]: bindings.run_id, [TOOLS_STEP_ID_HEADER]: bindings.step_id, ...traceHeaders(bindings) };
    if (spec.params && Object.keys(spec.params).length > 0) context[TOOLS_PARAMS_HEADER] = encodeURIComponent(JSON.stringify(spec.params));
    // First-party servers speak streamable HTTP only: no legacy fallback.
    const fetch = makeFetch(spec, context, "resumptions", (url, init) => bindings.tools.fetch(url, init));
    return { endpoint, fetch };
  }

  let target: URL;
  try {
    target = new URL(spec.url);
  } catch {
    return { error: `invalid server url` };
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return { error: `unsupported server url scheme "${target.protocol}": use http(s):// or ${FIRST_PARTY_TOOLS_PREFIX}<name>` };
  }
  const endpoint = withPersistentId(target, spec.persistent_id);
  // For an event stream the egress timeout bounds the wait for its headers, not its life.
  const viaEgress = (url: string, init: RequestInit & { headers: Headers }) => {
    init.headers.set(EGRESS_URL_HEADER, url);
    init.headers.set(EGRESS_TIMEOUT_HEADER, String(MCP_REQUEST_TIMEOUT_MS));
    return bindings.gateway.fetch(EGRESS_URL, init);
  };
  const trace = traceHeaders(bindings);
  return { endpoint, fetch: makeFetch(spec, trace, "resumptions", viaEgress), legacyFetch: makeFetch(spec, trace, "all", viaEgress) };
}

function traceHeaders(bindings: TransportBindings): Record<string, string> {
  return bindings.traceparent ? { traceparent: bindings.traceparent } : {};
}
