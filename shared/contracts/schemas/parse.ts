// Validation at a boundary: a payload either has its contract's shape, or the answer names
// the first field that does not, so the sender sees what to fix.
import type { z } from "zod";

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** The dotted path of an issue (`metrics.tokens_in`, `active.0.run_id`); "" for the payload itself. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const [issue] = result.error.issues;
  const field = fieldOf(issue?.path ?? []);
  const what = issue?.message ?? "invalid";
  return { ok: false, field, message: field === "" ? what : `field "${field}": ${what}` };
}
