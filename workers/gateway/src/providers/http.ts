// The HTTP plumbing both adapters share: one JSON POST with a timeout, and the
// pieces of an upstream error reply that decide what the gateway does next.

import { callerGone, GatewayError } from "../errors.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";

export interface UpstreamReply {
  status: number;
  headers: Headers;
  text: string;
}

export type JsonRecord = Record<string, unknown>;

/**
 * POSTs JSON; transport failures and timeouts are retryable `provider_error`s. `caller` is the
 * incoming request's signal: when the caller goes away the provider's request is aborted too.
 */
export async function postJson(url: string, headers: Record<string, string>, body: unknown, timeoutMs: number, caller?: AbortSignal): Promise<UpstreamReply> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: caller ? AbortSignal.any([caller, timeout]) : timeout,
    });
  } catch (err) {
    throw caller?.aborted ? callerGone() : transportError(err, timeoutMs);
  }
  try {
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    // The connection dropped or stalled mid-body.
    throw caller?.aborted ? callerGone() : transportError(err, timeoutMs);
  }
}

function transportError(err: unknown, timeoutMs: number): GatewayError {
  const name = err instanceof Error ? err.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return new GatewayError("provider_error", `http request timed out after ${timeoutMs} ms`, { retryable: true });
  }
  return new GatewayError("provider_error", `http request failed: ${errorMessage(err)}`, { retryable: true, cause: err });
}

/** The reply body as JSON, or the parser's complaint. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

/** `retry-after` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const raw = headers.get("retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `upstream returned <code>: <message>`, as the original words it. */
export function upstreamMessage(status: number, message: string): string {
  return message ? `upstream returned ${status}: ${message}` : `upstream returned status ${status}`;
}

/**
 * A provider's error reply as a `provider_error`: an error status is named by
 * its status, a 200 that carries an error by the error's kind (type or code).
 */
export function providerReplyError(reply: UpstreamReply, kind: string, message: string, retryable: boolean): GatewayError {
  const text =
    reply.status === 200 ? `upstream returned 200 with an error: ${kind || "unknown"}${message ? `: ${message}` : ""}` : upstreamMessage(reply.status, message);
  return new GatewayError("provider_error", text, { retryable, retryAfterMs: retryAfterMs(reply.headers) });
}

export function asNumber(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

export function asString(value: unknown): string {
  return typeof value === "string" ? value : "";
}
