// Value sources: the `{{ }}` templates (and the legacy `env:`, `param:` and
// backtick forms) of every field that names a value rather than a condition.
export { VALUE_FIELDS, type LegacyForm, type ValueField, type ValueFieldName } from "./fields.ts";
export {
  parseValueSource,
  sourceReads,
  envNamesRead,
  sourceExpressions,
  templateReplacement,
  legacyForm,
  type SourceReads,
  type ValueSource,
} from "./source.ts";
export { resolveValue, type ValueOutcome, type ValueScope } from "./resolve.ts";
export { ValueError, type ValueErrorKind } from "./errors.ts";
