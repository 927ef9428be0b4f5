// Where the gateway sends trace exports, read from the OpenTelemetry SDK's standard variables.

export interface OtlpTarget {
  url: string;
  headers: Record<string, string>;
}

function setting(env: Record<string, unknown>, name: string): string | undefined {
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
export function otlpTarget(env: Record<string, unknown>): OtlpTarget | null {
  const signal = setting(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = setting(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  const url = signal ?? (base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (!url) return null;
  const headers = { ...parseOtlpHeaders(setting(env, "OTEL_EXPORTER_OTLP_HEADERS")), ...parseOtlpHeaders(setting(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS")) };
  return { url, headers };
}
