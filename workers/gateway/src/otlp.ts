// The gateway's OTLP route: forwards trace exports (OTLP/HTTP JSON) from the other Workers to
// the endpoint the project configures with the standard variables. Unconfigured, it drops them.
// The headers (an API key, typically) are secrets: never logged, never answered.

import type { Context } from "hono";
import { errorMessage } from "../../../shared/util/errors.ts";
import type { GatewayEnv } from "./env.ts";

/** How long the endpoint has to answer one export. */
const EXPORT_TIMEOUT_MS = 10_000;
/** The largest export body passed on. */
const MAX_EXPORT_BYTES = 4 * 1024 * 1024;

export interface OtlpTarget {
  url: string;
  headers: Record<string, string>;
}

function setting(env: GatewayEnv, name: string): string | undefined {
  const value = env[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * `k1=v1,k2=v2` with percent-encoded values, as the OpenTelemetry specification defines
 * `OTEL_EXPORTER_OTLP_HEADERS`; a malformed entry is skipped.
 */
export function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of (text ?? "").split(",")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    try {
      headers[decodeURIComponent(entry.slice(0, eq).trim())] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      // A value that is not valid percent-encoding is left out.
    }
  }
  return headers;
}

/**
 * Where traces go: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else `OTEL_EXPORTER_OTLP_ENDPOINT`
 * with `/v1/traces` appended (the specification's rule for the base endpoint). Null: not configured.
 */
export function otlpTarget(env: GatewayEnv): OtlpTarget | null {
  const signal = setting(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = setting(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  const url = signal ?? (base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (!url) return null;
  const headers = { ...parseOtlpHeaders(setting(env, "OTEL_EXPORTER_OTLP_HEADERS")), ...parseOtlpHeaders(setting(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS")) };
  return { url, headers };
}

/** The endpoint named without its path or query (which could carry a token): for log lines. */
function shownEndpoint(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

export async function forwardOtlp(c: Context<{ Bindings: GatewayEnv }>): Promise<Response> {
  const target = otlpTarget(c.env);
  if (!target) return c.body(null, 204);
  const body = await c.req.raw.arrayBuffer();
  if (body.byteLength > MAX_EXPORT_BYTES) return c.json({ error: "payload_too_large", message: `export body exceeds ${MAX_EXPORT_BYTES} bytes` }, 413);
  try {
    const res = await fetch(target.url, {
      method: "POST",
      headers: { ...target.headers, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) console.warn(`otlp export: ${shownEndpoint(target.url)} answered ${res.status}`);
    return c.json({ status: res.status }, res.ok ? 200 : 502);
  } catch (err) {
    console.warn(`otlp export: ${shownEndpoint(target.url)} not reached: ${err instanceof Error ? err.name : errorMessage(err)}`);
    return c.json({ error: "upstream_unreachable", message: "the OTLP endpoint was not reached" }, 502);
  }
}
