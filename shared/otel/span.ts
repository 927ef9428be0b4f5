// A span as the exporter sends it, before its OTLP JSON encoding (otlp-json.ts).

export type AttributeValue = string | number | boolean;

/** OTLP span kinds (the numbers of the OTLP protobuf enum, which its JSON encoding uses too). */
export const SpanKind = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: (typeof SpanKind)[keyof typeof SpanKind];
  /** RFC 3339 times, as the records keep them. */
  start: string;
  end: string;
  attributes: Record<string, AttributeValue | undefined>;
  /** Set when the work failed; the message is masked like every other string. */
  error?: string;
}
