// Operational knobs of the gateway, read from Worker vars so tests and
// deployments can tune them without code changes.

export interface GatewaySettings {
  /** First backoff step; doubled on each further retry round (`KTSU_GATEWAY_RETRY_BASE_MS`). */
  retryBaseMs: number;
  /** Longest single wait, retry-after included; a longer retry-after is not waited for (`KTSU_GATEWAY_RETRY_MAX_WAIT_MS`). */
  retryMaxWaitMs: number;
  /** Provider calls per `/invoke`, fallbacks and retries included (`KTSU_GATEWAY_MAX_ATTEMPTS`). */
  maxAttempts: number;
  /** Per provider call (`KTSU_GATEWAY_PROVIDER_TIMEOUT_MS`). */
  providerTimeoutMs: number;
  /** Largest accepted `/invoke` body (`KTSU_GATEWAY_MAX_BODY_BYTES`). */
  maxBodyBytes: number;
}

export const DEFAULT_SETTINGS: GatewaySettings = {
  retryBaseMs: 500,
  retryMaxWaitMs: 10_000,
  maxAttempts: 3,
  providerTimeoutMs: 120_000,
  maxBodyBytes: 4 * 1024 * 1024,
};

function readNumber(raw: unknown, fallback: number, min: number, max: number): number {
  if (typeof raw !== "string" || raw.trim() === "") return fallback;
  const value = Number(raw);
  return Number.isFinite(value) ? Math.min(Math.max(Math.floor(value), min), max) : fallback;
}

export function readSettings(env: Record<string, unknown>): GatewaySettings {
  return {
    retryBaseMs: readNumber(env.KTSU_GATEWAY_RETRY_BASE_MS, DEFAULT_SETTINGS.retryBaseMs, 0, 60_000),
    retryMaxWaitMs: readNumber(env.KTSU_GATEWAY_RETRY_MAX_WAIT_MS, DEFAULT_SETTINGS.retryMaxWaitMs, 0, 300_000),
    maxAttempts: readNumber(env.KTSU_GATEWAY_MAX_ATTEMPTS, DEFAULT_SETTINGS.maxAttempts, 1, 10),
    providerTimeoutMs: readNumber(env.KTSU_GATEWAY_PROVIDER_TIMEOUT_MS, DEFAULT_SETTINGS.providerTimeoutMs, 1, 900_000),
    maxBodyBytes: readNumber(env.KTSU_GATEWAY_MAX_BODY_BYTES, DEFAULT_SETTINGS.maxBodyBytes, 1024, 100 * 1024 * 1024),
  };
}
