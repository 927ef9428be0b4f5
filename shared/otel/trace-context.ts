// W3C trace context (`traceparent`): parsing what a caller sends, and the ids of a run's
// spans. Span ids are derived from the records' own names (run id, step id, call index), so
// every Worker and every later reading of the records names the same span without storing it.

/** Where a run's spans hang: the trace, the caller's span (absent: the run's span is a trace root), sampling. */
export interface RunTrace {
  trace_id: string;
  parent_span_id?: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO = /^0+$/;

/** A caller's `traceparent` header, or null when it is absent or not valid W3C trace context. */
export function parseTraceparent(header: string | null | undefined): RunTrace | null {
  if (!header) return null;
  const match = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match) return null;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  // Version ff is forbidden; ids of all zeros are invalid.
  if (version === "ff" || ZERO.test(traceId) || ZERO.test(spanId)) return null;
  return { trace_id: traceId, parent_span_id: spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The trace of a run: the caller's, or a new one whose root is the run's span. */
export function runTraceFrom(header: string | null | undefined): RunTrace {
  return parseTraceparent(header) ?? { trace_id: randomHex(16), sampled: true };
}

/** The `traceparent` naming `spanId` in the run's trace. */
export function traceparentOf(trace: RunTrace, spanId: string): string {
  return `00-${trace.trace_id}-${spanId}-${trace.sampled ? "01" : "00"}`;
}

/** 32-bit FNV-1a with a seed: two seeds give a 64-bit span id. Not a security boundary, only a stable name. */
function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

function spanIdOf(...parts: (string | number)[]): string {
  const text = parts.join("\u0000");
  const id = fnv1a(text, 0x811c9dc5).toString(16).padStart(8, "0") + fnv1a(text, 0x050c5d1f).toString(16).padStart(8, "0");
  return ZERO.test(id) ? "0000000000000001" : id;
}

/** The span of a run (root run or sub-run). */
export const runSpanId = (runId: string): string => spanIdOf("run", runId);
/** The span of a step of a run. */
export const stepSpanId = (runId: string, stepId: string): string => spanIdOf("step", runId, stepId);
/** The span of a fanout step's `index`th item. */
export const itemSpanId = (runId: string, stepId: string, index: number): string => spanIdOf("item", runId, stepId, index);
/** The span of an agent step's (or a fanout item's, `<step>[<item>]`) `index`th LLM or tool call. */
export const callSpanId = (runId: string, stepId: string, index: number): string => spanIdOf("call", runId, stepId, index);
/** The span of the queue delivery that started a run. */
export const deliverySpanId = (runId: string): string => spanIdOf("deliver", runId);
