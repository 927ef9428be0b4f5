// YAML 1.2 parsing with positions: parse errors carry line and column, and
// `locate` maps a field path back to the line it was written on.

import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import type { FieldPath, Position } from "./diagnostics.ts";
import { errorMessage } from "../util/errors.ts";

export interface ParsedYaml {
  value: unknown;
  locate(path: FieldPath): Position | undefined;
}

export interface YamlError {
  message: string;
  position?: Position;
}

export type YamlResult = { ok: true; yaml: ParsedYaml } | { ok: false; errors: YamlError[] };

export function parseYaml(text: string): YamlResult {
  const lines = new LineCounter();
  // The library's own duplicate-key check is quadratic in a mapping's size; ours is linear.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };

  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ message: e.message, position: at(e.pos[0]) })) };
  }
  const duplicates = duplicateKeys(doc).map((offset) => ({ message: "Map keys must be unique", position: at(offset) }));
  if (duplicates.length > 0) return { ok: false, errors: duplicates };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return { ok: false, errors: [{ message: errorMessage(error) }] };
  }
  const expansion = aliasExpansionError(value, Math.max(MIN_EXPANDED_CHARS, EXPANSION_FACTOR * text.length));
  if (expansion) return { ok: false, errors: [{ message: expansion }] };

  // The deepest node that exists along `path`; keys point at the key itself.
  const locate = (path: FieldPath): Position | undefined => {
    let node: unknown = doc.contents;
    let found: number | undefined = (doc.contents as Node | null)?.range?.[0];
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        found = (pair.key as Node).range?.[0] ?? found;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        found = item.range?.[0] ?? found;
        node = item;
      } else {
        break;
      }
    }
    return at(found);
  };

  return { ok: true, yaml: { value, locate } };
}

/** How many aliases a file may resolve (an "anchor bomb" needs many). */
const MAX_ALIASES = 100;
/** Aliases may make a file's value at most this many times larger than its text… */
const EXPANSION_FACTOR = 20;
/** …but a small file may always expand to this many characters. */
const MIN_EXPANDED_CHARS = 1_000_000;

/** Offsets of keys that repeat a key earlier in the same mapping. */
function duplicateKeys(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? `s:${String(pair.key.value)}` : `n:${JSON.stringify((pair.key as Node | null)?.toJSON?.() ?? null)}`;
        if (seen.has(key)) offsets.push((pair.key as Node | null)?.range?.[0] ?? 0);
        seen.add(key);
      }
    },
  });
  return offsets;
}

/**
 * Aliases share one value in memory but repeat it in everything written from it (the
 * bundle); a circular alias cannot be written at all. Walks the value as it would be
 * written, stopping as soon as it is too big or meets itself.
 */
function aliasExpansionError(value: unknown, maxChars: number): string | null {
  let size = 0;
  const ancestors = new Set<object>();
  const walk = (node: unknown): string | null => {
    if (typeof node === "string") size += node.length;
    else size += 4;
    if (size > maxChars) return `aliases expand this file to more than ${maxChars} characters`;
    if (typeof node !== "object" || node === null) return null;
    if (ancestors.has(node)) return "circular alias: a value contains itself";
    ancestors.add(node);
    for (const [key, child] of Object.entries(node)) {
      size += key.length;
      const problem = walk(child);
      if (problem) return problem;
    }
    ancestors.delete(node);
    return null;
  };
  return walk(value);
}
