// Sends spans to the gateway's OTLP route (the only Worker that reaches the network), in
// batches. Called after the work the spans describe is over; it never throws, and a failure
// is logged with the status only (the gateway holds the endpoint's headers, never this side).

import { encodeSpans } from "./otlp-json.ts";
import type { Span } from "./span.ts";

/** The gateway route that forwards OTLP/HTTP JSON to the configured endpoint. */
export const OTLP_TRACES_PATH = "/otlp/v1/traces";
export const OTLP_TRACES_URL = `https://gateway${OTLP_TRACES_PATH}`;

/** Spans per request: a long run's spans go in a few requests, never one per span. */
export const SPANS_PER_BATCH = 512;

/** The gateway binding, as far as the exporter uses it. */
export interface OtlpGateway {
  fetch(url: string, init: RequestInit): Promise<Response>;
}

/** Exports `spans` through `gateway`; resolves once every batch was answered (or failed). */
export async function exportSpans(gateway: OtlpGateway, spans: readonly Span[], log: (message: string) => void = console.warn): Promise<void> {
  for (let i = 0; i < spans.length; i += SPANS_PER_BATCH) {
    const batch = spans.slice(i, i + SPANS_PER_BATCH);
    try {
      const res = await gateway.fetch(OTLP_TRACES_URL, { method: "POST", headers: { "content-type": "application/json" }, body: encodeSpans(batch) });
      await res.body?.cancel();
      if (!res.ok) log(`trace export: ${batch.length} spans refused by the gateway's OTLP route with status ${res.status}`);
    } catch (err) {
      log(`trace export: ${batch.length} spans not sent: ${err instanceof Error ? err.name : "error"}`);
    }
  }
}
