// Transform steps: pure data operations over earlier steps' outputs, settled
// at once without leaving the run.

import type { CompiledTransformStep } from "../../../../../shared/bundle.ts";
import { runTransform } from "../../engine/semantics.ts";
import type { RunContext } from "../context.ts";
import { ZERO_METRICS } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";
import { errorMessage } from "../../../../../shared/util/errors.ts";

export function runTransformStep(ctx: RunContext, step: CompiledTransformStep): StepOutcome {
  try {
    return { kind: "output", output: runTransform(step.transform, (id) => ctx.scope.stepOutput(id)), metrics: { ...ZERO_METRICS } };
  } catch (err) {
    return { kind: "failed", error: errorMessage(err) };
  }
}
