// The one resolver for every "value source" string: webhook URLs and bodies,
// workflow-step and agent-step params, server params and auth secrets, an
// agent server's `persistent_id`, `invoke.auth.secret`, param defaults.
//
//   {{ expr }}            the whole string: the value keeps its JSON type
//   text {{ expr }} text  placeholders inside text: interpolated into a string
//                         (strings as themselves, null as "", others as JSON)
//   env:NAME, param:NAME, `text`
//                         the legacy forms, in the fields that accept them
//   anything else         a literal, or bare JMESPath where the field says so
//
// `{{ env.NAME }}` reads the root run's env; where there is no env (`env:
// null`: sub-workflows, agent and server files) any read of it is an error,
// and so is a variable that is not set, even inside a larger expression.

import { evaluate, ExpressionError, formatTemplateValue, type JsonObject, type JsonValue } from "../expr/index.ts";
import { envUnavailable, envUnset, ValueError } from "./errors.ts";
import type { ValueField } from "./fields.ts";
import { parseValueSource, sourceReads, type SourceReads, type ValueSource } from "./source.ts";

export interface ValueScope {
  /** The env of a root run (a name that is absent is unset); null where env is not available. */
  env: Readonly<Record<string, string>> | null;
  /** Typed params, the `params` of templates; null or absent when there are none. */
  params?: JsonObject | null;
  /** String forms of the params, read by the legacy `param:NAME`; null or absent when the run has none (root runs). */
  paramStrings?: Readonly<Record<string, string>> | null;
  /**
   * Everything else templates may read: step outputs (flat ids and `step`),
   * `item` and `item_index` (the engine's expression context). Its own
   * `params` and `env`, if any, are replaced by the two above.
   */
  context?: JsonObject;
  /** Which env vars and params hold secrets, so results read from them are marked. */
  secrets?: { env?: ReadonlySet<string>; params?: ReadonlySet<string> };
}

export type ValueOutcome =
  | {
      ok: true;
      value: JsonValue;
      /** Read from a secret env var or param (so it must only flow into a secret). */
      secret: boolean;
      source: ValueSource;
      reads: SourceReads;
    }
  | { ok: false; error: ValueError; source: ValueSource };

function evaluationContext(scope: ValueScope): JsonObject {
  const context = Object.create(null) as JsonObject;
  for (const [key, value] of Object.entries(scope.context ?? {})) context[key] = value;
  delete context.params;
  delete context.env;
  if (scope.params) context.params = scope.params;
  if (scope.env) {
    const env = Object.create(null) as JsonObject;
    for (const [name, value] of Object.entries(scope.env)) env[name] = value;
    context.env = env;
  }
  return context;
}

function evaluateIn(expression: string, shown: string, data: JsonObject): JsonValue {
  try {
    return evaluate(expression, data);
  } catch (error) {
    if (error instanceof ExpressionError) throw new ValueError("expression", `${shown}: ${error.message}`, { cause: error });
    throw error;
  }
}

function envValue(scope: ValueScope, name: string): string {
  if (!scope.env) throw envUnavailable([name]);
  if (!Object.hasOwn(scope.env, name)) throw envUnset(name);
  return scope.env[name] as string;
}

/** Env problems a source has before anything is evaluated. */
function checkEnvReads(scope: ValueScope, reads: SourceReads): void {
  if (reads.env.length === 0 && !reads.envWhole) return;
  if (!scope.env) throw envUnavailable(reads.env);
  for (const name of reads.env) envValue(scope, name);
}

function paramString(scope: ValueScope, name: string): string {
  if (!scope.paramStrings) throw new ValueError("no-params", `param "${name}" referenced but no params context is available`);
  if (!Object.hasOwn(scope.paramStrings, name)) throw new ValueError("param-missing", `param "${name}" is not available in this invocation`);
  return scope.paramStrings[name] as string;
}

function sourceValue(source: ValueSource, scope: ValueScope): JsonValue {
  switch (source.kind) {
    case "legacy-env":
      return envValue(scope, source.name);
    case "legacy-param":
      return paramString(scope, source.name);
    case "backtick":
      return source.text;
    case "template":
      return evaluateIn(source.expression, `template "{{ ${source.expression} }}"`, evaluationContext(scope));
    case "interpolation": {
      const data = evaluationContext(scope);
      return source.parts
        .map((part) => (part.kind === "text" ? part.text : formatTemplateValue(evaluateIn(part.expression, `template "${part.source}"`, data))))
        .join("");
    }
    case "plain":
      return source.expression ? evaluateIn(source.text, `expression "${source.text}"`, evaluationContext(scope)) : source.text;
  }
}

function isSecret(reads: SourceReads, scope: ValueScope): boolean {
  const env = scope.secrets?.env;
  const params = scope.secrets?.params;
  return (env !== undefined && reads.env.some((name) => env.has(name))) || (params !== undefined && reads.params.some((name) => params.has(name)));
}

/** Resolves `text` as `field` reads it (see VALUE_FIELDS). Never throws for a problem of the value. */
export function resolveValue(text: string, scope: ValueScope, field: ValueField): ValueOutcome {
  const source = parseValueSource(text, field);
  const reads = sourceReads(source);
  try {
    checkEnvReads(scope, reads);
    return { ok: true, value: sourceValue(source, scope), secret: isSecret(reads, scope), source, reads };
  } catch (error) {
    if (error instanceof ValueError) return { ok: false, error, source };
    throw error;
  }
}
