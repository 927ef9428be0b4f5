import type { Context } from "hono";
import { EGRESS_ERROR_HEADER, EGRESS_TIMEOUT_HEADER, EGRESS_URL_HEADER, INTERNAL_HEADER_PREFIX } from "../../../shared/contracts/egress.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

/*
 * The egress endpoint: the one path by which webhook steps and external MCP
 * servers reach the network. It is a transparent proxy so that streaming
 * protocols (MCP streamable HTTP) work unchanged: the caller sends the request
 * it wants sent, naming the target in the egress URL header (shared/contracts/egress.ts).
 */

export interface EgressPolicy {
  /** Host patterns: `host`, `host:port`, or `*.domain`. */
  allowHosts: string[];
  maxRequestBytes: number;
  maxResponseBytes: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
}

export const DEFAULT_EGRESS_POLICY: EgressPolicy = {
  allowHosts: [],
  maxRequestBytes: 1024 * 1024,
  maxResponseBytes: 10 * 1024 * 1024,
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

  try {
    const upstream = await fetch(url, {
      method: c.req.method,
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const declared = Number(upstream.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > policy.maxResponseBytes) {
      await upstream.body?.cancel();
      return egressError(502, "egress_failed", `${c.req.method} ${url.host}: response of ${declared} bytes exceeds ${policy.maxResponseBytes}`);
    }
    return upstream.body ? new Response(capped(upstream.body, policy.maxResponseBytes), upstream) : upstream;
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return timedOut
      ? egressError(504, "egress_timeout", `${c.req.method} ${url.host}: timed out after ${timeoutMs} ms`)
      : egressError(502, "egress_failed", `${c.req.method} ${url.host}: ${errorMessage(err)}`);
  }
}

/** Passes a body through, failing the stream once it grows past `max` bytes (replies without a length). */
function capped(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new Error(`egress response exceeds ${max} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
}
