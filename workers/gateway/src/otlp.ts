// The gateway's OTLP route: forwards trace exports (OTLP/HTTP JSON) from the other Workers to
// the endpoint the project configures with the standard variables. Unconfigured, it drops them.
// The headers (an API key, typically) are secrets: never logged, never answered.

import type { Context } from "hono";
import { errorMessage } from "../../../shared/util/errors.ts";
import { otlpTarget } from "../../../shared/otel/otlp-target.ts";
import type { GatewayEnv } from "./env.ts";

/** How long the endpoint has to answer one export. */
const EXPORT_TIMEOUT_MS = 10_000;
/** The largest export body passed on. */
const MAX_EXPORT_BYTES = 4 * 1024 * 1024;

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
