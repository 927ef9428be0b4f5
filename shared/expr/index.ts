// The Kimitsu JMESPath dialect (hyphenated step ids, Go truthiness for
// conditions) and `{{ }}` templates.
export * from "./json.ts";
export { sanitizeExpression } from "./sanitize.ts";
export {
  compileExpression,
  evaluate,
  tryEvaluate,
  ExpressionError,
  type AstNode,
  type EvaluationResult,
  type ExpressionErrorKind,
} from "./evaluate.ts";
export { canonicalJson, stringForm, formatTemplateValue } from "./format.ts";
export {
  parseTemplate,
  hasPlaceholders,
  wholeTemplateExpression,
  isWholeTemplate,
  stripTemplate,
  evaluateExpressionOrTemplate,
  interpolate,
  renderTemplate,
  type TemplatePart,
} from "./template.ts";
export { isTruthy, evaluateCondition, type ConditionOutcome } from "./truthiness.ts";
export {
  expressionStepRefs,
  templateStepRefs,
  expressionNamespaceReads,
  RESERVED_CONTEXT_NAMES,
  type RefOptions,
  type NamespaceReads,
} from "./refs.ts";
