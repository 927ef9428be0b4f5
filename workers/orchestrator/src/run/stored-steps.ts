// Which step states a run keeps in its storage: a step is written once it first changes (a
// run of many steps does not write each pending one at its start), so loading a run rebuilds
// the steps never written as pending, from its workflow.

import type { CompiledStep } from "../../../../shared/bundle.ts";
import { type StepState, ZERO_METRICS } from "./model.ts";

export function pendingStep(step: CompiledStep): StepState {
  return { id: step.id, type: step.type, status: "pending", seq: -1, metrics: { ...ZERO_METRICS }, attempt: 0 };
}

/**
 * The run's steps by id: the stored states (`step:<id>` keys, as listed) and a pending state
 * for each step of `pipeline` not stored, in storage key order (as when every step was stored).
 */
export function loadedSteps(pipeline: readonly CompiledStep[], stored: ReadonlyMap<string, StepState>): [string, StepState][] {
  const entries: [string, StepState][] = [...stored];
  for (const step of pipeline) if (!stored.has(`step:${step.id}`)) entries.push([`step:${step.id}`, pendingStep(step)]);
  if (entries.length > stored.size && stored.size > 0) entries.sort(([a], [b]) => compareUtf8(a, b));
  return entries.map(([key, state]) => [key.slice(5), state]);
}

const utf8 = new TextEncoder();

/** Storage lists keys in the order of their UTF-8 bytes. */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
