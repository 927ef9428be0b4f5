// OTLP/HTTP JSON encoding of spans (opentelemetry-proto's JSON mapping: ids as hex, times as
// unix nanoseconds in strings, 64-bit integers as strings, enums as numbers).

import type { AttributeValue, Span } from "./span.ts";

export const OTLP_SCOPE = "ktsu-workers";
/** `service.name` of every span: one service, whose Workers the span names tell apart. */
export const SERVICE_NAME = "ktsu";

type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

function otlpValue(value: AttributeValue): OtlpValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

function attributes(values: Record<string, AttributeValue | undefined>): OtlpAttribute[] {
  return Object.entries(values).flatMap(([key, value]) => (value === undefined ? [] : [{ key, value: otlpValue(value) }]));
}

/** RFC 3339 to unix nanoseconds, as a decimal string (a JS number cannot hold it exactly). */
function unixNanos(time: string): string {
  const ms = Date.parse(time);
  return Number.isFinite(ms) && ms > 0 ? `${ms}000000` : "0";
}

/** An OTLP `ExportTraceServiceRequest` body for `spans`. */
export function encodeSpans(spans: readonly Span[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attributes({ "service.name": SERVICE_NAME }) },
        scopeSpans: [
          {
            scope: { name: OTLP_SCOPE },
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: span.kind,
              startTimeUnixNano: unixNanos(span.start),
              endTimeUnixNano: unixNanos(span.end),
              attributes: attributes(span.attributes),
              // STATUS_CODE_ERROR = 2; unset (0) otherwise.
              status: span.error ? { code: 2, message: span.error } : { code: 0 },
            })),
          },
        ],
      },
    ],
  });
}
