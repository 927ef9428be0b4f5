import type { BudgetDO } from "./budget-do.ts";

/**
 * Bindings of the gateway Worker. Provider credentials arrive as secrets named
 * after the gateway config's `env:` declarations, so the set is open-ended.
 */
export interface GatewayEnv {
  /** One BudgetDO per budget run (workers/gateway/wrangler.toml). */
  BUDGET: DurableObjectNamespace<BudgetDO>;
  /** Hosts the egress endpoint may reach (JSON array or comma list). */
  KTSU_EGRESS_ALLOW?: string;
  /** Largest upstream reply the egress proxy passes on (default 10 MiB). */
  KTSU_EGRESS_MAX_RESPONSE_BYTES?: string;
  /** Lifetime ceiling of a relayed event stream in ms (default one hour). */
  KTSU_EGRESS_MAX_STREAM_MS?: string;
  /** Retry and limit knobs: see settings.ts. */
  KTSU_GATEWAY_RETRY_BASE_MS?: string;
  KTSU_GATEWAY_RETRY_MAX_WAIT_MS?: string;
  KTSU_GATEWAY_MAX_ATTEMPTS?: string;
  KTSU_GATEWAY_PROVIDER_TIMEOUT_MS?: string;
  KTSU_GATEWAY_MAX_BODY_BYTES?: string;
  /** Where trace exports go (otlp.ts): the OpenTelemetry SDK's standard variables. The headers are secrets. */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_EXPORTER_OTLP_TRACES_HEADERS?: string;
  [name: string]: unknown;
}
