import type { CompiledStep } from "../../../../shared/bundle.ts";
import { SETTLED_OK, TERMINAL_STEP, type StepState } from "./model.ts";

/**
 * Steps that may start now: not started, and every dependency settled
 * (complete or skipped — a skipped dependency does not skip its dependents).
 * Returned in declaration order; the run starts all of them at once.
 * `on: approval` webhook steps are never DAG nodes (nothing waits for them);
 * they fire when an approval opens.
 */
export function readySteps(pipeline: CompiledStep[], states: ReadonlyMap<string, StepState>): CompiledStep[] {
  return pipeline.filter((step) => {
    if (step.type === "webhook" && step.on === "approval") return false;
    if (states.get(step.id)?.status !== "pending") return false;
    return step.dependencies.every((dep) => {
      const state = states.get(dep);
      return state !== undefined && SETTLED_OK.has(state.status);
    });
  });
}

/** Whether every DAG step has reached a terminal status. */
export function allSettled(pipeline: CompiledStep[], states: ReadonlyMap<string, StepState>): boolean {
  return pipeline.every((step) => {
    if (step.type === "webhook" && step.on === "approval") return true;
    const state = states.get(step.id);
    return state !== undefined && TERMINAL_STEP.has(state.status);
  });
}
