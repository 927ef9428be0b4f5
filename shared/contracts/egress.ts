// The gateway's egress protocol: how the other Workers ask the gateway (the only
// Worker that reaches the network) to send a request for them. The caller sends
// the request it wants sent to EGRESS_URL over its gateway binding and names the
// real target in EGRESS_URL_HEADER. Documented in docs/contracts.md.

/** The gateway's egress path. */
export const EGRESS_PATH = "/egress";

/** What a caller fetches over its gateway service binding (the host is not used by service bindings). */
export const EGRESS_URL = `https://gateway${EGRESS_PATH}`;

/** Every header starting with this is meant for the ktsu Workers: the gateway strips them all before sending a request out. */
export const INTERNAL_HEADER_PREFIX = "x-ktsu-";

/** The absolute http(s) URL the request is for. */
export const EGRESS_URL_HEADER = `${INTERNAL_HEADER_PREFIX}egress-url`;

/** Milliseconds the gateway waits for the target (capped by the gateway's own maximum). */
export const EGRESS_TIMEOUT_HEADER = `${INTERNAL_HEADER_PREFIX}egress-timeout-ms`;

/** Set ("1") on responses the gateway produced itself (refusals, timeouts), so callers can tell them from the target's replies. */
export const EGRESS_ERROR_HEADER = `${INTERNAL_HEADER_PREFIX}egress-error`;
