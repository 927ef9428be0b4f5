// The orchestrator's pure step semantics in one import: expression contexts,
// reserved fields, transforms, scrubbing, metrics and fanout aggregation.
// The JMESPath dialect and templates live in shared/expr.
export * from "./expression-context.ts";
export * from "./reserved-fields.ts";
export * from "./transform.ts";
export * from "./metrics.ts";
export * from "./fanout-result.ts";
// Secret masking is shared with the runtime and the gateway.
export { createScrubber, REDACTED, type Scrubber } from "../../../../shared/secrets/scrub.ts";
