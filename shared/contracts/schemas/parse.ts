// Validation at a boundary: a payload either has its contract's shape, or the answer names
// the first field that does not, so the sender sees what to fix.
import type { z } from "zod";
import { FALLBACK, fastParser } from "./fast-parse.ts";

/** A refusal names the `field` at fault and says what is wrong with it (`issue`); `message` says both. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; issue: string; message: string };

/** The path of an issue as a field name (`metrics.tokens_in`, `active[0].run_id`); "" for the payload itself. */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("");
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): Parsed<z.output<S>> {
  // A valid payload is accepted without zod's interpreter; anything else gets zod's own answer.
  const fast = fastParser(schema)(value);
  if (fast !== FALLBACK) return { ok: true, value: fast as z.output<S> };
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const [issue] = result.error.issues;
  const field = fieldOf(issue?.path ?? []);
  const what = issue?.message ?? "invalid";
  return { ok: false, field, issue: what, message: field === "" ? what : `field "${field}": ${what}` };
}
