// Size limits on what enters a run's state: a Durable Object value holds at most
// 2 MB, and structured clone overflows on values nested thousands of levels deep.

/** How deep params and step outputs may nest (objects and arrays); far beyond any real payload. */
export const MAX_DEPTH = 100;
/** Largest step output (serialized) a run keeps; also the largest fanout results kept on the step itself (larger ones are paged). */
export const MAX_OUTPUT_BYTES = 1024 * 1024;
/**
 * Most fanout results (serialized `{"results": [...]}`) a step may receive from a fanout it
 * depends on: the run's object assembles them in memory for that step's expressions.
 */
export const MAX_FANOUT_INPUT_BYTES = 4 * 1024 * 1024;
/** Largest conversation kept on a step record (larger ones are left out of it). */
export const MAX_MESSAGES_BYTES = 256 * 1024;
/** Largest conversation a suspended step keeps (one Durable Object value). */
export const MAX_CHECKPOINT_BYTES = 1_900_000;
/** Longest raw output kept on a failed step. */
export const MAX_RAW_OUTPUT_CHARS = 64 * 1024;

/**
 * Whether `value` nests objects/arrays more than `max` levels deep. The walk stops one
 * level past `max`, so deep input cannot overflow the stack.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  return deeperThan(value, 1, max);
}

function deeperThan(item: unknown, depth: number, max: number): boolean {
  if (typeof item !== "object" || item === null) return false;
  if (depth > max) return true;
  const children = Array.isArray(item) ? item : Object.values(item);
  for (const child of children) if (typeof child === "object" && child !== null && deeperThan(child, depth + 1, max)) return true;
  return false;
}

/** Serialized size in bytes, or Infinity when it cannot be serialized. */
export function jsonBytes(value: unknown): number {
  try {
    return utf8Bytes(JSON.stringify(value));
  } catch {
    return Infinity;
  }
}

export function utf8Bytes(text: string | undefined): number {
  return new TextEncoder().encode(text).byteLength;
}

/** Why an output cannot be kept in a run's state, or null. */
export function outputLimitError(output: unknown): string | null {
  const measured = measureOutput(output, false);
  return "error" in measured ? measured.error : null;
}

/**
 * An output's serialized size in bytes, or why it cannot be kept. `exact: false` skips the
 * encoding when the text surely fits (the size is then an upper bound).
 */
export function measureOutput(output: unknown, exact = true): { bytes: number } | { error: string } {
  if (nestedDeeperThan(output, MAX_DEPTH)) return { error: `output nests deeper than ${MAX_DEPTH} levels` };
  let text: string | undefined;
  try {
    text = JSON.stringify(output);
  } catch {
    return { error: `output is not serializable; step outputs are limited to ${MAX_OUTPUT_BYTES} bytes` };
  }
  if (text === undefined) return { bytes: 0 };
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: most outputs fit without being encoded.
  if (!exact && text.length * 3 <= MAX_OUTPUT_BYTES) return { bytes: text.length * 3 };
  const bytes = utf8Bytes(text);
  return bytes > MAX_OUTPUT_BYTES ? { error: `output is ${bytes} bytes; step outputs are limited to ${MAX_OUTPUT_BYTES} bytes` } : { bytes };
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters not kept]`;
}
