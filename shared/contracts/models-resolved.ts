// Which models answered a step's LLM calls, as its metrics record them: `model_resolved`
// (the gateway's `<provider>/<model-id>` for the last call) and `models_resolved` (every
// distinct model, only when there were several). The runtime records them call by call, the
// orchestrator combines them over a step's legs and over a fanout's items or a sub-run's steps.
import type { StepMetrics } from "./metrics.ts";

/** The model fields of a step's metrics. */
export type ModelsResolved = Pick<StepMetrics, "model_resolved" | "models_resolved">;

/** Every distinct model the fields name, in the order first seen; anything not a non-empty string is ignored. */
export function modelsOf(fields: Partial<ModelsResolved> | null | undefined): string[] {
  const listed = Array.isArray(fields?.models_resolved) ? fields.models_resolved : [];
  return distinct([...listed, fields?.model_resolved]);
}

/**
 * Parts that ran one after the other (the LLM calls of one invocation, the legs of a step
 * around an approval or a re-dispatch): the step's model is the one that answered last,
 * and the list keeps every model seen.
 */
export function modelsInSequence(parts: Iterable<Partial<ModelsResolved> | null | undefined>): ModelsResolved {
  const seen: string[] = [];
  let last: string | undefined;
  for (const part of parts) {
    seen.push(...modelsOf(part));
    if (isModel(part?.model_resolved)) last = part.model_resolved;
  }
  return fields(distinct(seen), last);
}

/**
 * Parts that ran side by side (a fanout's items, a sub-run's steps): no call is the last
 * one, so the step names a single model only when one model answered every part; with
 * several, the list alone names them.
 */
export function modelsInParallel(parts: Iterable<Partial<ModelsResolved> | null | undefined>): ModelsResolved {
  const seen = distinct([...parts].flatMap(modelsOf));
  return fields(seen, seen.length === 1 ? seen[0] : undefined);
}

function fields(models: string[], last: string | undefined): ModelsResolved {
  const result: ModelsResolved = {};
  if (last !== undefined) result.model_resolved = last;
  // One model is said by `model_resolved` alone; the list is for steps answered by several.
  if (models.length > 1) result.models_resolved = models;
  return result;
}

function isModel(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

function distinct(values: readonly unknown[]): string[] {
  return [...new Set(values.filter(isModel))];
}
