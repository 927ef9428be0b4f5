// Sending a JSON request out through the gateway's egress endpoint (the orchestrator
// cannot reach the network itself): webhook steps and approval notifications.

import { EGRESS_TIMEOUT_HEADER, EGRESS_URL, EGRESS_URL_HEADER } from "../../../../../shared/contracts/egress.ts";

export interface EgressRequest {
  method: string;
  /** The real target. */
  url: string;
  /** How long the gateway waits for the target (it answers 504 after that, so no timer is pending here). */
  timeoutMs: number;
  /** Stable for the same logical request, so a receiver can drop a copy re-sent after an eviction. */
  idempotencyKey: string;
  body?: unknown;
  /** W3C trace context sent to the target (the webhook step's span). */
  traceparent?: string;
}

export function sendThroughEgress(gateway: Fetcher, request: EgressRequest): Promise<Response> {
  // Workers cannot send a body with GET or HEAD; those go without one.
  const bodyless = request.method === "GET" || request.method === "HEAD";
  return gateway.fetch(EGRESS_URL, {
    method: request.method,
    headers: {
      "content-type": "application/json",
      "idempotency-key": request.idempotencyKey,
      [EGRESS_URL_HEADER]: request.url,
      [EGRESS_TIMEOUT_HEADER]: String(request.timeoutMs),
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
    },
    ...(bodyless || request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  });
}
