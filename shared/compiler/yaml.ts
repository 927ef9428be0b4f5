// YAML 1.2 parsing with positions: parse errors carry line and column, and
// `locate` maps a field path back to the line it was written on.

import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { FieldPath, Position } from "./diagnostics.ts";

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
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };

  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ message: e.message, position: at(e.pos[0]) })) };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { ok: false, errors: [{ message: error instanceof Error ? error.message : String(error) }] };
  }

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
