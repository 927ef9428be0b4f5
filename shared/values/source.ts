// What a value-source string is, before anything is resolved: one of the
// legacy forms, a whole `{{ expr }}`, text with `{{ }}` placeholders inside,
// or plain text. `ktsu validate` and the resolver read strings the same way
// through this one parser.

import { expressionNamespaceReads, parseTemplate, wholeTemplateExpression, type TemplatePart } from "../expr/index.ts";
import type { LegacyForm, ValueField } from "./fields.ts";

export type ValueSource =
  | { kind: "legacy-env"; name: string }
  | { kind: "legacy-param"; name: string }
  | { kind: "backtick"; text: string }
  /** Exactly one `{{ expr }}` (surrounding whitespace aside): keeps the value's JSON type. */
  | { kind: "template"; expression: string }
  /** Text with placeholders inside: always a string. */
  | { kind: "interpolation"; parts: TemplatePart[] }
  /** No template and no legacy form: a literal, or a bare expression in fields that take one. */
  | { kind: "plain"; text: string; expression: boolean };

function accepts(field: ValueField, form: LegacyForm): boolean {
  return field.legacy.includes(form);
}

/**
 * Reads `text` as `field` reads it. Legacy prefixes are matched on the text as
 * written (not trimmed): ` env:X` is a literal, as it always was at run time.
 */
export function parseValueSource(text: string, field: ValueField): ValueSource {
  if (accepts(field, "env") && text.startsWith("env:")) return { kind: "legacy-env", name: text.slice(4) };
  if (accepts(field, "param") && text.startsWith("param:")) return { kind: "legacy-param", name: text.slice(6) };
  if (accepts(field, "backtick") && text.length >= 2 && text.startsWith("`") && text.endsWith("`")) {
    return { kind: "backtick", text: text.slice(1, -1) };
  }
  const whole = wholeTemplateExpression(text);
  if (whole !== undefined) return { kind: "template", expression: whole };
  const parts = parseTemplate(text);
  if (parts.some((part) => part.kind === "expr")) return { kind: "interpolation", parts };
  return { kind: "plain", text, expression: field.plain === "expression" };
}

/** The bare expressions a source evaluates (a template's, each placeholder's, or a plain expression). */
export function sourceExpressions(source: ValueSource): string[] {
  switch (source.kind) {
    case "template":
      return [source.expression];
    case "interpolation":
      return source.parts.flatMap((part) => (part.kind === "expr" ? [part.expression] : []));
    case "plain":
      return source.expression ? [source.text] : [];
    default:
      return [];
  }
}

/** The env vars and params a value source reads. */
export interface SourceReads {
  env: string[];
  /** The whole `env` object is read (`{{ keys(env) }}`), so any variable may be. */
  envWhole: boolean;
  params: string[];
  /** The value is exactly one env var or one param, nothing computed from it. */
  direct?: { namespace: "env" | "params"; name: string };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env.NAME` / `params.NAME` as the whole expression (a quoted name too), else undefined. */
function directReference(expression: string): SourceReads["direct"] {
  // A bare name may be hyphenated (`params.api-key`): the sanitizer quotes it before evaluation.
  const match = /^(env|params)\.(?:([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)|"([^"\\]*)")$/.exec(expression.trim());
  if (!match) return undefined;
  return { namespace: match[1] as "env" | "params", name: (match[2] ?? match[3]) as string };
}

export function sourceReads(source: ValueSource): SourceReads {
  if (source.kind === "legacy-env") return { env: [source.name], envWhole: false, params: [], direct: { namespace: "env", name: source.name } };
  if (source.kind === "legacy-param") {
    return { env: [], envWhole: false, params: [source.name], direct: { namespace: "params", name: source.name } };
  }
  const env = new Set<string>();
  const params = new Set<string>();
  let envWhole = false;
  for (const expression of sourceExpressions(source)) {
    const fromEnv = expressionNamespaceReads(expression, "env");
    for (const name of fromEnv.names) env.add(name);
    envWhole ||= fromEnv.whole;
    for (const name of expressionNamespaceReads(expression, "params").names) params.add(name);
  }
  const reads: SourceReads = { env: [...env], envWhole, params: [...params] };
  const direct = source.kind === "template" ? directReference(source.expression) : undefined;
  if (direct) reads.direct = direct;
  return reads;
}

/** A JMESPath raw string literal holding `text`. */
function rawString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function namespaced(namespace: "env" | "params", name: string): string {
  return IDENTIFIER.test(name) ? `${namespace}.${name}` : `${namespace}.${JSON.stringify(name)}`;
}

/**
 * What to write instead of a legacy form, in the `{{ }}` syntax; undefined for
 * the other kinds. A backtick literal becomes the bare text when that reads as
 * the same literal in this field, else a `{{ 'text' }}` string literal.
 */
export function templateReplacement(source: ValueSource, field: ValueField): string | undefined {
  switch (source.kind) {
    case "legacy-env":
      return `{{ ${namespaced("env", source.name)} }}`;
    case "legacy-param":
      return `{{ ${namespaced("params", source.name)} }}`;
    case "backtick": {
      const reparsed = parseValueSource(source.text, field);
      return reparsed.kind === "plain" && !reparsed.expression ? source.text : `{{ ${rawString(source.text)} }}`;
    }
    default:
      return undefined;
  }
}

/** The legacy form a source uses, if any. */
export function legacyForm(source: ValueSource): LegacyForm | undefined {
  if (source.kind === "legacy-env") return "env";
  if (source.kind === "legacy-param") return "param";
  if (source.kind === "backtick") return "backtick";
  return undefined;
}

/** The env vars a value source of `field` reads (for listing the variables a Worker needs). */
export function envNamesRead(text: string, field: ValueField): string[] {
  return sourceReads(parseValueSource(text, field)).env;
}
