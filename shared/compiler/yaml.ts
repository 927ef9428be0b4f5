// YAML 1.2 parsing with positions: parse errors carry line and column, and
// `locate` maps a field path back to the line it was written on.

import { Composer, type CST, isMap, isPair, isScalar, isSeq, LineCounter, Parser, visit, YAMLParseError, type Document, type Node } from "yaml";
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

/**
 * How deeply collections (mappings and sequences) may nest in a file, counting the top-level
 * mapping as level 1, both as written and once aliases are resolved. Real projects stay far
 * below it (a JSON schema in an agent is rarely ten levels deep); the bound exists so that the
 * recursive steps after parsing (composing the document, duplicate keys, resolving aliases,
 * validation, writing the bundle) can never run out of stack, and a hostile file gets a clear
 * error instead.
 */
export const MAX_NESTING_DEPTH = 100;

/** The error for a file nested deeper than `MAX_NESTING_DEPTH`. */
export const NESTING_ERROR = `nesting deeper than ${MAX_NESTING_DEPTH} levels`;

export function parseYaml(text: string): YamlResult {
  const lines = new LineCounter();
  const at = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };

  // Parse to the concrete syntax tree first (the library does this without recursion), so the
  // depth is checked before anything recursive walks the file.
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const tooDeep = firstTooDeep(tokens);
  if (tooDeep !== undefined) return { ok: false, errors: [{ message: NESTING_ERROR, position: at(tooDeep) }] };
  const doc = composeOne(tokens, text.length);

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

/**
 * The first document of the stream (what `parseDocument` does, from tokens already parsed);
 * a second document is an error. The library's own duplicate-key check is quadratic in a
 * mapping's size, so it is off here (ours, `duplicateKeys`, is linear).
 */
function composeOne(tokens: CST.Token[], length: number): Document.Parsed {
  const composer = new Composer({ uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents"));
      break;
    }
  }
  // `compose(…, true)` always yields at least one document, empty or not.
  return doc!;
}

/**
 * The offset of the first collection nested deeper than `MAX_NESTING_DEPTH`, or undefined.
 * Walks the syntax tree with an explicit stack: the input is exactly what may be too deep to recurse on.
 */
function firstTooDeep(tokens: CST.Token[]): number | undefined {
  const pending: Array<{ token: CST.Token; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    if (token.type === "document") {
      if (token.value) pending.push({ token: token.value, depth });
    } else if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      if (depth + 1 > MAX_NESTING_DEPTH) return token.offset;
      for (const item of token.items) {
        if ("key" in item && item.key) pending.push({ token: item.key, depth: depth + 1 });
        if (item.value) pending.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
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
  // An alias placed deep inside another anchor's value nests deeper than the text shows.
  const walk = (node: unknown, depth: number): string | null => {
    if (typeof node === "string") size += node.length;
    else size += 4;
    if (size > maxChars) return `aliases expand this file to more than ${maxChars} characters`;
    if (typeof node !== "object" || node === null) return null;
    if (ancestors.has(node)) return "circular alias: a value contains itself";
    if (depth + 1 > MAX_NESTING_DEPTH) return `${NESTING_ERROR} once aliases are resolved`;
    ancestors.add(node);
    for (const [key, child] of Object.entries(node)) {
      size += key.length;
      const problem = walk(child, depth + 1);
      if (problem) return problem;
    }
    ancestors.delete(node);
    return null;
  };
  return walk(value, 0);
}
