// Which step ids an expression or template reads, for implicit DAG edges.
//
// Works on the parsed AST, so only names read from the *root* of the context
// count: `step.fetch.items` reads step `fetch`; in `[?status == 'x']` the
// name `status` is a field of each item, not a step. With `flat: true`, root
// fields such as `fetch` in `fetch.items` are reported too, except the
// reserved namespaces (`step`, `params`, `env`, `item`, `item_index`); the
// caller keeps those that name real steps. `step.*` (every step) is not
// reported. An expression that does not parse references nothing.

import { compileExpression, type AstNode } from "./evaluate.ts";
import { parseTemplate } from "./template.ts";

export interface RefOptions {
  /** Also report top-level field names (the flat step-id namespace). */
  flat?: boolean;
}

export const RESERVED_CONTEXT_NAMES: ReadonlySet<string> = new Set(["step", "params", "env", "item", "item_index"]);

type Base = "root" | "step" | "other";

function isStepNamespace(node: AstNode | undefined, base: Base): boolean {
  return base === "root" && node?.type === "Field" && node.name === "step";
}

function collect(node: AstNode | undefined, base: Base, options: RefOptions, out: Set<string>): void {
  if (!node) return;
  const children = node.children ?? [];
  switch (node.type) {
    case "Field":
      if (base === "step" && node.name !== undefined) out.add(node.name);
      else if (base === "root" && options.flat && node.name !== undefined && !RESERVED_CONTEXT_NAMES.has(node.name)) {
        out.add(node.name);
      }
      return;
    case "Subexpression":
    case "Pipe": {
      const [left, right] = children;
      collect(left, base, options, out);
      collect(right, isStepNamespace(left, base) ? "step" : "other", options, out);
      return;
    }
    case "IndexExpression":
    case "Projection":
    case "ValueProjection":
    case "FilterProjection": {
      const [left, ...rest] = children;
      collect(left, base, options, out);
      for (const child of rest) collect(child, "other", options, out);
      return;
    }
    case "KeyValuePair":
      collect(node.value as AstNode | undefined, base, options, out);
      return;
    case "ExpressionReference":
      for (const child of children) collect(child, "other", options, out);
      return;
    default:
      // Flatten, MultiSelectList/Hash, Or/And/Not, Comparator, Function:
      // children are evaluated against the same value as the node.
      for (const child of children) collect(child, base, options, out);
  }
}

/** Step ids read by a bare JMESPath expression, in order of first appearance. */
export function expressionStepRefs(expression: string, options: RefOptions = {}): string[] {
  let ast: AstNode;
  try {
    ast = compileExpression(expression);
  } catch {
    return [];
  }
  const out = new Set<string>();
  collect(ast, "root", options, out);
  return [...out];
}

/** Step ids read by the `{{ }}` placeholders of a template string. */
export function templateStepRefs(text: string, options: RefOptions = {}): string[] {
  const out = new Set<string>();
  for (const part of parseTemplate(text)) {
    if (part.kind === "expr") for (const id of expressionStepRefs(part.expression, options)) out.add(id);
  }
  return [...out];
}
