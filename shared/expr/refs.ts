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

/** What an expression reads from one root namespace (`env`, `params`). */
export interface NamespaceReads {
  /** Names read as `ns.NAME`, in order of first appearance. */
  names: string[];
  /** The namespace object itself is read (`env`, `keys(env)`, `env.*`), so any name may be. */
  whole: boolean;
}

/** The field a chain starts with: `X` in `X`, `X[0]`, `X.y`, `X[*].y`. */
function leadingField(node: AstNode | undefined): string | undefined {
  if (node?.type === "Field") return node.name;
  if (node && ["Subexpression", "IndexExpression", "Projection", "ValueProjection", "FilterProjection"].includes(node.type)) {
    return leadingField(node.children?.[0]);
  }
  return undefined;
}

function collectNamespace(node: AstNode | undefined, atRoot: boolean, namespace: string, out: { names: Set<string>; whole: boolean }): void {
  if (!node) return;
  const children = node.children ?? [];
  const isNamespace = (n: AstNode | undefined): boolean => atRoot && n?.type === "Field" && n.name === namespace;
  switch (node.type) {
    case "Field":
      if (isNamespace(node)) out.whole = true;
      return;
    case "Subexpression":
    case "Pipe": {
      const [left, right] = children;
      const name = node.type === "Subexpression" && isNamespace(left) ? leadingField(right) : undefined;
      if (name !== undefined) {
        out.names.add(name);
        collectNamespace(right, false, namespace, out);
        return;
      }
      collectNamespace(left, atRoot, namespace, out);
      collectNamespace(right, false, namespace, out);
      return;
    }
    case "IndexExpression":
    case "Projection":
    case "ValueProjection":
    case "FilterProjection": {
      const [left, ...rest] = children;
      collectNamespace(left, atRoot, namespace, out);
      for (const child of rest) collectNamespace(child, false, namespace, out);
      return;
    }
    case "KeyValuePair":
      collectNamespace(node.value as AstNode | undefined, atRoot, namespace, out);
      return;
    case "ExpressionReference":
      for (const child of children) collectNamespace(child, false, namespace, out);
      return;
    default:
      for (const child of children) collectNamespace(child, atRoot, namespace, out);
  }
}

/**
 * Names a bare JMESPath expression reads from the root namespace `namespace`:
 * `env.TOKEN || 'x'` reads `TOKEN` from `env`; in `item.env.X` the `env` is a
 * field of `item`, not the namespace. An expression that does not parse reads nothing.
 */
export function expressionNamespaceReads(expression: string, namespace: string): NamespaceReads {
  let ast: AstNode;
  try {
    ast = compileExpression(expression);
  } catch {
    return { names: [], whole: false };
  }
  const out = { names: new Set<string>(), whole: false };
  collectNamespace(ast, true, namespace, out);
  return { names: [...out.names], whole: out.whole };
}
