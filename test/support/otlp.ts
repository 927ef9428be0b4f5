// Reading what an OTLP/HTTP JSON receiver got (the tests' HTTP sink stands in for a collector):
// the spans of every export, flattened, with their attributes as plain values.
import type { SinkCall } from "./http-sink.ts";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code: number; message?: string };
  attributes: Record<string, string | number | boolean>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
}

function plain(value: OtlpValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue ?? "";
}

/** The spans of the OTLP exports among `calls` (those posted to a path ending in /v1/traces). */
export function receivedSpans(calls: readonly SinkCall[]): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const call of calls.filter((c) => c.method === "POST" && c.path.endsWith("/v1/traces"))) {
    const body = JSON.parse(call.body) as {
      resourceSpans: { scopeSpans: { spans: (Omit<ReceivedSpan, "attributes"> & { attributes: { key: string; value: OtlpValue }[] })[] }[] }[];
    };
    for (const resource of body.resourceSpans) {
      for (const scope of resource.scopeSpans) {
        for (const span of scope.spans) spans.push({ ...span, attributes: Object.fromEntries(span.attributes.map((a) => [a.key, plain(a.value)])) });
      }
    }
  }
  return spans;
}
