// Type tests for values of unknown shape (decoded JSON or YAML, request bodies).

/**
 * True for a plain object: a `{…}` literal, what JSON.parse or a YAML mapping
 * produces, or `Object.create(null)`. False for null, arrays and class instances
 * (Date, Map, Error, …), which callers walking data must not take apart as
 * key/value records.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
