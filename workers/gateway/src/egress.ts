import type { Context } from "hono";
import { EGRESS_ERROR_HEADER, EGRESS_TIMEOUT_HEADER, EGRESS_URL_HEADER, INTERNAL_HEADER_PREFIX } from "../../../shared/contracts/egress.ts";
import { errorMessage } from "../../../shared/util/errors.ts";
import { isEventStream, relayEventStream } from "./egress-stream.ts";

/*
 * The egress endpoint: the one path by which webhook steps and external MCP
 * servers reach the network. It is a transparent proxy so that streaming
 * protocols (MCP streamable HTTP) work unchanged: the caller sends the request
 * it wants sent, naming the target in the egress URL header (shared/contracts/egress.ts).
 *
 * The timeout bounds the wait for the target's response headers and, for a one-shot reply,
 * the whole body too. An event stream is a session, not a reply: it is relayed with a cap per
 * event and ends when either side closes it or at `maxStreamMs` (egress-stream.ts).
 */

export interface EgressPolicy {
  /** Host patterns: `host`, `host:port`, or `*.domain`. */
  allowHosts: string[];
  maxRequestBytes: number;
  /** The most a one-shot reply may carry, and the most one event of an event stream may. */
  maxResponseBytes: number;
  /** The lifetime ceiling of an event stream. */
  maxStreamMs: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
}

export const DEFAULT_EGRESS_POLICY: EgressPolicy = {
  allowHosts: [],
  maxRequestBytes: 1024 * 1024,
  maxResponseBytes: 10 * 1024 * 1024,
  // Far longer than one tool call (the runtime allows 120 s each): a legacy MCP session stays
  // open for a whole agent step, idle between calls. The caller closing its session, or going
  // away, ends the stream sooner; the ceiling only bounds a stream nobody closes.
  maxStreamMs: 60 * 60 * 1000,
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 300_000,
};

/** Parses the `KTSU_EGRESS_ALLOW` variable: a JSON array or a comma-separated list. */
export function parseAllowHosts(raw: unknown): string[] {
  if (typeof raw !== "string" || raw.trim() === "") return [];
  const text = raw.trim();
  const list: unknown = text.startsWith("[") ? JSON.parse(text) : text.split(",");
  if (!Array.isArray(list)) return [];
  return list.map((h) => String(h).trim().toLowerCase()).filter((h) => h !== "");
}

export function hostAllowed(url: URL, allowHosts: string[]): boolean {
  const host = url.hostname.toLowerCase();
  const hostPort = url.port ? `${host}:${url.port}` : host;
  return allowHosts.some((pattern) => {
    if (pattern === "*") return true;
    if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1));
    return pattern === host || pattern === hostPort;
  });
}

function egressError(status: number, error: string, message: string): Response {
  return new Response(JSON.stringify({ error, message }), {
    status,
    headers: { "content-type": "application/json", [EGRESS_ERROR_HEADER]: "1" },
  });
}

export async function handleEgress(c: Context, policy: EgressPolicy): Promise<Response> {
  const target = c.req.header(EGRESS_URL_HEADER);
  if (!target) return egressError(400, "invalid_request", `missing ${EGRESS_URL_HEADER} header`);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return egressError(400, "invalid_request", `invalid egress url`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return egressError(400, "invalid_request", `egress supports http and https only, got ${url.protocol}`);
  }
  // Only the host is named: the full URL may carry secrets in its path or query.
  if (!hostAllowed(url, policy.allowHosts)) {
    return egressError(403, "egress_denied", `host "${url.host}" is not in the egress allowlist`);
  }

  const body = c.req.method === "GET" || c.req.method === "HEAD" ? undefined : await c.req.arrayBuffer();
  if (body && body.byteLength > policy.maxRequestBytes) {
    return egressError(413, "payload_too_large", `egress request body exceeds ${policy.maxRequestBytes} bytes`);
  }

  const headers = new Headers(c.req.raw.headers);
  for (const name of [...headers.keys()]) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX) || name === "host" || name === "cf-connecting-ip") headers.delete(name);
  }

  const requested = Number(c.req.header(EGRESS_TIMEOUT_HEADER) ?? policy.defaultTimeoutMs);
  const timeoutMs = Number.isFinite(requested) && requested > 0 ? Math.min(requested, policy.maxTimeoutMs) : policy.defaultTimeoutMs;

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
  let upstream: Response;
  try {
    upstream = await fetch(url, { method: c.req.method, headers, body, redirect: "manual", signal: deadline.signal });
  } catch (err) {
    clearTimeout(timer);
    return deadline.signal.aborted
      ? egressError(504, "egress_timeout", `${c.req.method} ${url.host}: timed out after ${timeoutMs} ms`)
      : egressError(502, "egress_failed", `${c.req.method} ${url.host}: ${errorMessage(err)}`);
  }
  if (upstream.body && isEventStream(upstream)) {
    clearTimeout(timer);
    const oversize = () => console.warn(`egress: event stream from ${url.host} cut: an event exceeds ${policy.maxResponseBytes} bytes`);
    const limits = { maxEventBytes: policy.maxResponseBytes, maxStreamMs: policy.maxStreamMs };
    return new Response(relayEventStream(upstream.body, limits, oversize), upstream);
  }
  const declared = Number(upstream.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > policy.maxResponseBytes) {
    clearTimeout(timer);
    await upstream.body?.cancel();
    return egressError(502, "egress_failed", `${c.req.method} ${url.host}: response of ${declared} bytes exceeds ${policy.maxResponseBytes}`);
  }
  if (!upstream.body) {
    clearTimeout(timer);
    return upstream;
  }
  return new Response(
    capped(upstream.body, policy.maxResponseBytes, () => clearTimeout(timer)),
    upstream,
  );
}

/** Passes a body through, failing the stream once it grows past `max` bytes (replies without a length). */
function capped(body: ReadableStream<Uint8Array>, max: number, done: () => void): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new Error(`egress response exceeds ${max} bytes`));
        else controller.enqueue(chunk);
      },
      flush: done,
    }),
  );
}
