// The standard expression context that conditions and templates are evaluated
// against, and its fanout-item variant, which adds `item` and `item_index` so
// `{{ item }}` in a fanout step's params resolves per item (the original never
// passed the item to the agent).
//
// Layout, later entries winning on a name clash:
//   <id>        every completed/skipped/suppressed step's context output (flat, legacy)
//   step.<id>   the same outputs
//   params      rich params, only when a params map exists
//   env         root runs only: declared env names → values
//   item, item_index   fanout items only
// The objects built here have no prototype, so a name such as `toString` that
// is not a step id resolves to null instead of an Object.prototype member.

import type { JsonObject, JsonValue } from "../../../../shared/expr/json.ts";

/** Step id → context output. A Map keeps execution order; a record works too. */
export type StepOutputs = ReadonlyMap<string, JsonObject> | Readonly<Record<string, JsonObject>>;

export interface ExprContextSources {
  /** Context outputs of the completed, skipped and suppressed steps so far. */
  stepOutputs: StepOutputs;
  /** Rich (typed) params: the invoke body at the root, the resolved params in a sub-workflow. */
  params?: JsonObject | null;
  /** Root runs only (sub-workflows never see env): declared name → value. */
  env?: Readonly<Record<string, string>> | null;
}

function emptyObject(): JsonObject {
  return Object.create(null) as JsonObject;
}

/** Entries of either StepOutputs form (own keys only for records). */
export function stepOutputEntries(outputs: StepOutputs): [string, JsonObject][] {
  return outputs instanceof Map ? [...outputs.entries()] : Object.entries(outputs as Record<string, JsonObject>);
}

/** Step outputs as a whole, or a lookup by id (what a transform needs: no step's output is copied). */
export type StepOutputLookup = StepOutputs | ((id: string) => JsonObject | undefined);

/** One step's output from any StepOutputLookup form; undefined when absent. */
export function getStepOutput(outputs: StepOutputLookup, id: string): JsonObject | undefined {
  if (typeof outputs === "function") return outputs(id);
  if (outputs instanceof Map) return outputs.get(id);
  const record = outputs as Record<string, JsonObject>;
  return Object.hasOwn(record, id) ? record[id] : undefined;
}

export function buildExprContext(sources: ExprContextSources): JsonObject {
  const context = emptyObject();
  const stepNamespace = emptyObject();
  for (const [id, output] of stepOutputEntries(sources.stepOutputs)) {
    context[id] = output;
    stepNamespace[id] = output;
  }
  context.step = stepNamespace;
  if (sources.params !== undefined && sources.params !== null) context.params = sources.params;
  if (sources.env !== undefined && sources.env !== null) {
    const env = emptyObject();
    for (const [name, value] of Object.entries(sources.env)) env[name] = value;
    context.env = env;
  }
  return context;
}

/** The standard context plus `item` and `item_index` (which win over flat ids of those names). */
export function buildFanoutItemContext(sources: ExprContextSources, item: JsonValue, itemIndex: number): JsonObject {
  const context = buildExprContext(sources);
  context.item = item;
  context.item_index = itemIndex;
  return context;
}

export interface EnvDeclarationLike {
  name: string;
  default?: string;
}

/**
 * The root `env` namespace: each declared name → its value, the declared
 * default when the variable is unset (undefined), or "" when neither exists.
 * Undeclared variables are not visible.
 */
export function buildEnvContext(declarations: readonly EnvDeclarationLike[], lookup: (name: string) => string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const declaration of declarations) {
    env[declaration.name] = lookup(declaration.name) ?? declaration.default ?? "";
  }
  return env;
}
