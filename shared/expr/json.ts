// JSON value types shared by the expression dialect and the orchestrator engine,
// plus the small helpers every caller needs (type tests, Go-style type names).
import { isPlainObject } from "../util/objects.ts";

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return isPlainObject(value);
}

/**
 * The name Go's `%T` prints for a value decoded from JSON. Kimitsu error texts
 * embed it (`sort: expected []interface{}, got map[string]interface {}`), so
 * the engine reproduces it to keep those messages identical.
 */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return "float64";
    case "boolean":
      return "bool";
    case "object":
      return "map[string]interface {}";
    default:
      return typeof value;
  }
}

/**
 * `target[key] = value` as an own data property, even for the key
 * `__proto__` (which plain assignment would turn into a prototype change).
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
