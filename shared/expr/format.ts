// String forms of JSON values. Kimitsu (Go) printed values with `%v` (`1e+06`,
// `map[k:v]`, `[a b]`); these helpers use the JSON way instead:
// scalars as JSON (`42`, `1000000`, `0.5`, `true`), objects and arrays as
// compact JSON, strings as themselves.

import type { JsonValue } from "./json.ts";

/**
 * Compact JSON with object keys sorted (as Go's encoding/json does), so equal
 * objects always print the same way whatever order their keys were written in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A value as text: strings as themselves, anything else as canonical JSON (null → `null`). */
export function stringForm(value: JsonValue): string {
  return typeof value === "string" ? value : canonicalJson(value);
}

/** A value spliced into a mixed template: like `stringForm`, but null → `""`. */
export function formatTemplateValue(value: JsonValue): string {
  return value === null ? "" : stringForm(value);
}
