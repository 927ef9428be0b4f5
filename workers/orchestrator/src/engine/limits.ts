// Size limits on what enters a run's state: a Durable Object value holds at most
// 2 MB, and structured clone overflows on values nested thousands of levels deep.

/** How deep params and step outputs may nest (objects and arrays); far beyond any real payload. */
export const MAX_DEPTH = 100;
/** Largest step output (serialized) a run keeps. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;
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

function utf8Bytes(text: string | undefined): number {
  return new TextEncoder().encode(text).byteLength;
}

/** Why an output cannot be kept in a run's state, or null. */
export function outputLimitError(output: unknown): string | null {
  if (nestedDeeperThan(output, MAX_DEPTH)) return `output nests deeper than ${MAX_DEPTH} levels`;
  let text: string | undefined;
  try {
    text = JSON.stringify(output);
  } catch {
    return `output is not serializable; step outputs are limited to ${MAX_OUTPUT_BYTES} bytes`;
  }
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: most outputs fit without being encoded.
  if (text === undefined || text.length * 3 <= MAX_OUTPUT_BYTES) return null;
  const bytes = utf8Bytes(text);
  return bytes > MAX_OUTPUT_BYTES ? `output is ${bytes} bytes; step outputs are limited to ${MAX_OUTPUT_BYTES} bytes` : null;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters not kept]`;
}
