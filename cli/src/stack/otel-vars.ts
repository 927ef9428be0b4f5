// The OpenTelemetry exporter's standard variables, which `ktsu start` and `ktsu deploy` pass from
// the environment (over an env file's variables): the endpoint goes to the orchestrator (which
// exports a run's spans when it is set) and to the gateway (which sends them); the headers, which
// usually carry an API key, go to the gateway only, and a deploy uploads them as secrets.

type Source = Record<string, string | undefined>;

export const OTLP_ENDPOINT_VARS = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] as const;
export const OTLP_HEADER_VARS = ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] as const;

export interface OtelVars {
  /** Plain vars per Worker: the endpoints. */
  orchestrator: Record<string, string>;
  gateway: Record<string, string>;
  /** The gateway's header variables that are set (secrets on a deploy). */
  headers: Record<string, string>;
}

function present(source: Source, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = source[name]?.trim();
    if (value) out[name] = value;
  }
  return out;
}

export function otelVars(source: Source): OtelVars {
  const endpoints = present(source, OTLP_ENDPOINT_VARS);
  // Headers without an endpoint would go nowhere.
  const headers = Object.keys(endpoints).length > 0 ? present(source, OTLP_HEADER_VARS) : {};
  return { orchestrator: { ...endpoints }, gateway: { ...endpoints }, headers };
}

/** One line for `ktsu start` and `ktsu deploy` when traces are exported (the endpoint's origin only: its path may carry a token). */
export function otelSummary(vars: OtelVars): string | null {
  const url = vars.gateway.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? vars.gateway.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!url) return null;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = "(not a URL: the gateway will fail to send)";
  }
  return `traces: each run's spans are exported over OTLP/HTTP to ${origin} through the gateway`;
}
