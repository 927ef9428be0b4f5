// Conditions. Go truthiness, which differs from JMESPath's own:
// falsy = null, false, "", numeric 0; empty arrays and objects are truthy.
// An evaluation error (syntax or type) means "skip", never a failure.

import { evaluate, ExpressionError } from "./evaluate.ts";
import type { JsonValue } from "./json.ts";
import { stripTemplate } from "./template.ts";

export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") return value !== "";
  if (typeof value === "number") return value !== 0;
  return true;
}

export interface ConditionOutcome {
  truthy: boolean;
  /** The evaluated value (null on error). */
  value: JsonValue;
  /** Set when evaluation failed; the step is skipped and the caller may log this. */
  error?: ExpressionError;
}

/** Evaluates a condition written as bare JMESPath or a whole `{{ expr }}`. */
export function evaluateCondition(condition: string, context: unknown): ConditionOutcome {
  try {
    const value = evaluate(stripTemplate(condition), context);
    return { truthy: isTruthy(value), value };
  } catch (error) {
    if (error instanceof ExpressionError) return { truthy: false, value: null, error };
    throw error;
  }
}
