// `{{ expr }}` templates: finding placeholders, whole vs mixed templates, interpolation.
//
// A placeholder runs from `{{` to the first `}}` that is outside quotes and
// outside the expression's own braces, so `{{ {a: {b: c}} }}` is one
// placeholder. (Go's regex stops at the first `}}`; for every string Go parses,
// this gives the same split.) An unterminated `{{` is literal text.
//
// Whole templates: a string whose trimmed form is exactly one placeholder.
// Unlike Go's start/end test, `{{ a }} and {{ b }}` is *not* whole (Go strips it
// to the syntax error `a }} and {{ b`); it is a mixed template.

import { evaluate } from "./evaluate.ts";
import { formatTemplateValue } from "./format.ts";
import type { JsonValue } from "./json.ts";
import { skipQuoted } from "./sanitize.ts";

export type TemplatePart =
  | { kind: "text"; text: string }
  /** `expression` is the trimmed inner text; `source` the placeholder as written. */
  | { kind: "expr"; expression: string; source: string };

function findClose(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"' || ch === "'" || ch === "`") {
      i = skipQuoted(text, i);
    } else if (ch === "}") {
      if (depth === 0 && text[i + 1] === "}") return i;
      if (depth > 0) depth--;
      i++;
    } else {
      if (ch === "{") depth++;
      i++;
    }
  }
  // Unbalanced quotes or braces: fall back to the first `}}` (Go's rule), so
  // the expression still reaches the evaluator and reports its syntax error.
  return text.indexOf("}}", from);
}

export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let textStart = 0;
  let searchFrom = 0;
  for (;;) {
    const open = text.indexOf("{{", searchFrom);
    if (open < 0) break;
    const close = findClose(text, open + 2);
    if (close < 0) break;
    if (open > textStart) parts.push({ kind: "text", text: text.slice(textStart, open) });
    parts.push({ kind: "expr", expression: text.slice(open + 2, close).trim(), source: text.slice(open, close + 2) });
    textStart = searchFrom = close + 2;
  }
  if (textStart < text.length) parts.push({ kind: "text", text: text.slice(textStart) });
  return parts;
}

export function hasPlaceholders(text: string): boolean {
  return parseTemplate(text).some((part) => part.kind === "expr");
}

/** The inner expression when the trimmed text is exactly one `{{ … }}`, else undefined. */
export function wholeTemplateExpression(text: string): string | undefined {
  const parts = parseTemplate(text.trim());
  const only = parts[0];
  return parts.length === 1 && only?.kind === "expr" ? only.expression : undefined;
}

export function isWholeTemplate(text: string): boolean {
  return wholeTemplateExpression(text) !== undefined;
}

/** Go's `stripTemplate`: the inner expression of a whole template, else the trimmed text (a bare expression). */
export function stripTemplate(text: string): string {
  return wholeTemplateExpression(text) ?? text.trim();
}

/**
 * Fields that take "bare JMESPath or a whole `{{ }}`" (conditions, webhook
 * body values, `output.map`): the typed result. Throws ExpressionError.
 */
export function evaluateExpressionOrTemplate(text: string, context: unknown): JsonValue {
  return evaluate(stripTemplate(text), context);
}

/**
 * Replaces every placeholder with the string form of its value (null → "",
 * objects/arrays as compact JSON). Text without placeholders is returned
 * unchanged. Throws the first placeholder's ExpressionError.
 */
export function interpolate(text: string, context: unknown): string {
  return parseTemplate(text)
    .map((part) => (part.kind === "text" ? part.text : formatTemplateValue(evaluate(part.expression, context))))
    .join("");
}

/**
 * A whole template keeps the JSON type of its value (null included); a mixed
 * string is interpolated to a string; text without placeholders is literal.
 * Throws ExpressionError.
 */
export function renderTemplate(text: string, context: unknown): JsonValue {
  const whole = wholeTemplateExpression(text);
  if (whole !== undefined) return evaluate(whole, context);
  return interpolate(text, context);
}
