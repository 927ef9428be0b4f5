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

/** Whether `value` nests objects/arrays more than `max` levels deep (iterative: deep input cannot overflow the check). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** Serialized size in bytes, or Infinity when it cannot be serialized. */
export function jsonBytes(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).byteLength;
  } catch {
    return Infinity;
  }
}

/** Why an output cannot be kept in a run's state, or null. */
export function outputLimitError(output: unknown): string | null {
  if (nestedDeeperThan(output, MAX_DEPTH)) return `output nests deeper than ${MAX_DEPTH} levels`;
  const bytes = jsonBytes(output);
  if (bytes > MAX_OUTPUT_BYTES)
    return `output is ${bytes === Infinity ? "not serializable" : `${bytes} bytes`}; step outputs are limited to ${MAX_OUTPUT_BYTES} bytes`;
  return null;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters not kept]`;
}
