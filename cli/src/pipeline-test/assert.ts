// Checking a test case's assertions against a run's result document: each names a JMESPath
// expression and the value it must equal, or the JSON Schema it must conform to.

import { tryEvaluate } from "../../../shared/expr/evaluate.ts";
import { createAjv } from "../../../shared/compiler/json-schema.ts";
import { jsonDiff } from "../replay/json-diff.ts";
import type { Assertion } from "./case.ts";

const ajv = createAjv({ allErrors: true });

/** The failure lines of one assertion (empty when it holds). */
export function checkAssertion(assertion: Assertion, result: Record<string, unknown>): string[] {
  const evaluated = tryEvaluate(assertion.expect, result);
  if (!evaluated.ok) return [`${assertion.expect}: ${evaluated.error.message}`];
  const failures: string[] = [];
  if ("equals" in assertion) {
    const diff = jsonDiff(assertion.equals, evaluated.value);
    if (diff.length > 0) failures.push(`${assertion.expect} is not as expected:`, ...diff.map((line) => `  ${line}`));
  }
  if (assertion.schema) {
    const validate = ajv.compile(assertion.schema);
    if (!validate(evaluated.value)) {
      failures.push(`${assertion.expect} does not conform to its schema (value: ${JSON.stringify(evaluated.value)}):`);
      for (const error of validate.errors ?? []) failures.push(`  ${error.instancePath || "(whole value)"} ${error.message ?? "is invalid"}`);
    }
  }
  return failures;
}
