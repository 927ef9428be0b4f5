// Typed reads of parsed YAML. A value of the wrong type is reported at its
// field path and read as absent, so later rules see only well-typed data and
// never report the same problem twice. `null` (a key with no value) counts as
// absent, as in the Go loader.

import type { FieldPath, FileIssues } from "./diagnostics.ts";
import { isPlainObject } from "../util/objects.ts";

export type Mapping = Record<string, unknown>;

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "mapping";
  return typeof value;
}

export class Decoder {
  readonly issues: FileIssues;

  constructor(issues: FileIssues) {
    this.issues = issues;
  }

  mapping(value: unknown, path: FieldPath): Mapping | undefined {
    if (value === undefined || value === null) return undefined;
    if (isPlainObject(value)) return value;
    return this.mismatch(path, "a mapping", value);
  }

  /** Scalars are accepted and stringified, as yaml.v3 does for string fields. */
  string(value: unknown, path: FieldPath): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return this.mismatch(path, "a string", value);
  }

  number(value: unknown, path: FieldPath): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    return this.mismatch(path, "a number", value);
  }

  integer(value: unknown, path: FieldPath): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "number" && Number.isInteger(value)) return value;
    return this.mismatch(path, "an integer", value);
  }

  boolean(value: unknown, path: FieldPath): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    return this.mismatch(path, "a boolean (true or false)", value);
  }

  /** A list whose bad items are reported and dropped. */
  list<T>(value: unknown, path: FieldPath, item: (value: unknown, path: FieldPath) => T | undefined): T[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) return this.mismatch(path, "a list", value);
    const out: T[] = [];
    value.forEach((entry, index) => {
      const decoded = item(entry, [...path, index]);
      if (decoded !== undefined) out.push(decoded);
    });
    return out;
  }

  /**
   * A list where every position is kept (undefined for bad items), so that
   * indices in later field paths still match the file.
   */
  indexedList<T>(value: unknown, path: FieldPath, item: (value: unknown, path: FieldPath) => T | undefined): (T | undefined)[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) return this.mismatch(path, "a list", value);
    return value.map((entry, index) => item(entry, [...path, index]));
  }

  stringList(value: unknown, path: FieldPath): string[] | undefined {
    return this.list(value, path, (v, p) => this.string(v, p));
  }

  /** A mapping of strings (scalars are stringified). */
  stringMap(value: unknown, path: FieldPath): Record<string, string> | undefined {
    const map = this.mapping(value, path);
    if (!map) return undefined;
    const out: Record<string, string> = {};
    for (const [key, entry] of Object.entries(map)) {
      const text = this.string(entry, [...path, key]);
      if (text !== undefined) out[key] = text;
    }
    return out;
  }

  /** A JSON Schema: any mapping; its contents are checked by the schema rules. */
  schema(value: unknown, path: FieldPath): Mapping | undefined {
    return this.mapping(value, path);
  }

  private mismatch(path: FieldPath, expected: string, value: unknown): undefined {
    this.issues.error(path, `must be ${expected}, got ${typeName(value)}`);
    return undefined;
  }
}

/** Drops undefined properties so decoded objects serialize cleanly. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

// Entries of a list that were not mappings are kept as empty placeholders, so
// indices in field paths still match the file; rules skip them.
const BROKEN = Symbol("broken entry");

export function brokenEntry<T extends object>(): T {
  const placeholder = {} as T;
  Object.defineProperty(placeholder, BROKEN, { value: true, enumerable: false });
  return placeholder;
}

export function isBroken(value: object): boolean {
  return (value as { [BROKEN]?: boolean })[BROKEN] === true;
}
