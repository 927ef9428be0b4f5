// An agent server's `persistent_id`: its templates are resolved at dispatch
// against the agent's params (after defaults), the same names the prompts read.
// A reference that can never resolve there is refused here rather than at run time.

import type { ParamSpec } from "../../config/types.ts";
import { compileExpression, ExpressionError, expressionNamespaceReads, expressionStepRefs } from "../../expr/index.ts";
import { parseValueSource, sourceExpressions, sourceReads, VALUE_FIELDS } from "../../values/index.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";

/** Root names an expression may evaluate against at dispatch besides `params` (none are there). */
const OUT_OF_SCOPE = ["step", "item", "item_index"] as const;

/** The names an expression reads that are not in a persistent_id's scope (`env` is reported by the env-scope rule). */
function outOfScopeReads(expression: string): string[] {
  // Root fields (`{{ chat_id }}`); the ids `step.X` reads are reported as "step" below.
  const stepIds = new Set(expressionStepRefs(expression));
  const names = expressionStepRefs(expression, { flat: true }).filter((name) => !stepIds.has(name));
  for (const namespace of OUT_OF_SCOPE) {
    const reads = expressionNamespaceReads(expression, namespace);
    if (reads.whole || reads.names.length > 0) names.push(namespace);
  }
  return names;
}

export function checkPersistentId(text: string, at: FieldPath, server: string, agentParams: ReadonlyMap<string, ParamSpec>, issues: FileIssues): void {
  const field = `server "${server}" persistent_id`;
  const source = parseValueSource(text, VALUE_FIELDS.persistentId);
  for (const expression of sourceExpressions(source)) {
    try {
      compileExpression(expression);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      issues.error(at, `${field}: template "{{ ${expression} }}" does not parse: ${error.message}`);
      return;
    }
    for (const name of outOfScopeReads(expression)) {
      issues.error(at, `${field} reads "${name}", which is not available there: only the agent's params ({{ params.KEY }}) are`);
    }
  }
  for (const name of sourceReads(source).params) {
    const param = agentParams.get(name);
    if (!param) issues.error(at, `${field} references param "${name}" which is not declared in params.schema`);
    else if (param.secret) issues.error(at, `${field} must not read secret param "${name}": the id is sent in the server's URL`);
  }
}
