// JMESPath evaluation for the Kimitsu dialect: the `jmespath`
// package (0.16.0) after the hyphen sanitizer, with errors split into syntax
// errors (the expression does not parse) and evaluation errors (it parses but
// fails on the data, e.g. a function argument of the wrong type).
//
// Known divergence from go-jmespath (not fixable without forking the library):
// the ordering comparators `<`, `<=`, `>`, `>=` follow JavaScript comparison on
// non-numbers (`null < 5` is true, `'a' < 'b'` is true) where Go yields null.
// `==`/`!=` and everything else agree for JSON data.

import jmespath from "jmespath";
import type { JsonValue } from "./json.ts";
import { sanitizeExpression } from "./sanitize.ts";
import { errorMessage } from "../util/errors.ts";

/** A node of the jmespath.js AST (as returned by its `compile`). */
export interface AstNode {
  type: string;
  name?: string;
  value?: unknown;
  children?: AstNode[];
}

interface JmespathModule {
  search(data: unknown, expression: string): unknown;
  compile(expression: string): AstNode;
}

const engine = jmespath as unknown as JmespathModule;

export type ExpressionErrorKind = "syntax" | "evaluation";

/**
 * An expression that does not parse (`kind: "syntax"`) or fails on the data
 * (`kind: "evaluation"`). The message does not repeat the expression: callers
 * wrap it in their own context (`for_each from "<expr>": <message>`).
 */
export class ExpressionError extends Error {
  readonly kind: ExpressionErrorKind;
  /** The expression as written (before sanitizing). */
  readonly expression: string;

  constructor(kind: ExpressionErrorKind, expression: string, detail: string, options?: { cause?: unknown }) {
    super(`${kind} error: ${detail}`, options);
    this.name = "ExpressionError";
    this.kind = kind;
    this.expression = expression;
  }
}

function syntaxDetail(error: unknown): string {
  if (error instanceof TypeError || error instanceof RangeError) {
    // The parser dereferences missing tokens on truncated input (`a.`).
    return "incomplete expression";
  }
  if (error instanceof SyntaxError) {
    // JSON.parse of a quoted identifier or a backtick literal.
    return `invalid quoted identifier or literal (${error.message})`;
  }
  return errorMessage(error);
}

/** jmespath.js accepts a trailing dot (`a.`) and leaves a null child in the AST. */
function isComplete(node: AstNode | null | undefined): boolean {
  if (!node) return false;
  if (node.type === "KeyValuePair") return isComplete(node.value as AstNode | undefined);
  return (node.children ?? []).every(isComplete);
}

/**
 * Parses (after sanitizing) and returns the AST; throws a syntax
 * ExpressionError. Useful for static checks and reference analysis.
 */
export function compileExpression(expression: string): AstNode {
  if (expression.trim() === "") throw new ExpressionError("syntax", expression, "empty expression");
  let ast: AstNode;
  try {
    ast = engine.compile(sanitizeExpression(expression));
  } catch (error) {
    throw new ExpressionError("syntax", expression, syntaxDetail(error), { cause: error });
  }
  if (!isComplete(ast)) throw new ExpressionError("syntax", expression, "incomplete expression");
  return ast;
}

/**
 * Maps what jmespath.js can return for JSON input back to JSON: a field named
 * like an Object.prototype member (`toString`, `__proto__`) that the data lacks
 * resolves through the prototype; those values become null. So does a bare
 * expression reference, which the library returns as an AST node.
 */
function toJson(value: unknown): JsonValue {
  if (value === undefined || typeof value === "function" || value === Object.prototype) return null;
  // A bare expression reference (`&a`) evaluates to the library's AST node.
  if (typeof value === "object" && value !== null && Object.hasOwn(value, "jmespathType")) return null;
  if (Array.isArray(value)) {
    let copy: JsonValue[] | undefined;
    value.forEach((item, index) => {
      const clean = toJson(item);
      if (clean !== item && !copy) copy = value.slice(0, index) as JsonValue[];
      copy?.push(clean);
    });
    return copy ?? (value as JsonValue[]);
  }
  if (typeof value === "object" && value !== null) {
    let copy: Record<string, JsonValue> | undefined;
    const entries = Object.entries(value);
    entries.forEach(([key, item], index) => {
      const clean = toJson(item);
      if (clean !== item && !copy) copy = Object.fromEntries(entries.slice(0, index)) as Record<string, JsonValue>;
      if (copy) copy[key] = clean;
    });
    return copy ?? (value as JsonValue);
  }
  return value as JsonValue;
}

/**
 * Evaluates a bare JMESPath expression against `data`. A path to a missing
 * field is null, not an error. Throws ExpressionError.
 */
export function evaluate(expression: string, data: unknown): JsonValue {
  compileExpression(expression);
  try {
    return toJson(engine.search(data, sanitizeExpression(expression)));
  } catch (error) {
    throw new ExpressionError("evaluation", expression, errorMessage(error), { cause: error });
  }
}

export type EvaluationResult = { ok: true; value: JsonValue } | { ok: false; error: ExpressionError };

/** `evaluate` without throwing. */
export function tryEvaluate(expression: string, data: unknown): EvaluationResult {
  try {
    return { ok: true, value: evaluate(expression, data) };
  } catch (error) {
    if (error instanceof ExpressionError) return { ok: false, error };
    throw error;
  }
}
