// What changed between a recorded run and its replay, step by step, in the recording's order.

import type { Scrubber } from "../../../shared/secrets/scrub.ts";
import { jsonDiff } from "./json-diff.ts";
import { stepName, type Recording, type RecordedStep } from "./recording.ts";
import { describeMismatch, type RequestMismatch } from "./request-check.ts";

export interface StepComparison {
  step: string;
  changed: boolean;
  /** Why the step counts as changed (empty when it did not change). */
  reasons: string[];
}

function compareStep(was: RecordedStep, now: RecordedStep | undefined, mismatch: RequestMismatch | undefined, scrub: Scrubber): string[] {
  // The refused request is why the step stopped: its failure is that, not a change of its own.
  if (mismatch) return [describeMismatch(mismatch)];
  if (!now) return [`did not run (recorded: ${was.status ?? "?"})`];
  const reasons: string[] = [];
  if (was.status !== now.status) reasons.push(`status: recorded ${was.status ?? "?"}, replayed ${now.status ?? "?"}${now.error ? ` (${now.error})` : ""}`);
  const diff = jsonDiff(scrub.value(was.output ?? null), scrub.value(now.output ?? null));
  if (diff.length > 0) reasons.push("output differs:", ...diff.map((line) => `  ${line}`));
  return reasons;
}

/** Secrets are masked on both sides (the recorded side was masked by its Store already). */
export function compareRuns(recorded: Recording, replayed: Recording, mismatches: ReadonlyMap<string, RequestMismatch>, scrub: Scrubber): StepComparison[] {
  const byName = new Map(replayed.steps.map((step) => [stepName(step), step]));
  const seen = new Set<string>();
  const result: StepComparison[] = recorded.steps.map((was) => {
    const name = stepName(was);
    seen.add(name);
    const reasons = compareStep(was, byName.get(name), mismatches.get(name), scrub);
    return { step: name, changed: reasons.length > 0, reasons };
  });
  for (const now of replayed.steps) {
    const name = stepName(now);
    if (seen.has(name)) continue;
    const mismatch = mismatches.get(name);
    result.push({
      step: name,
      changed: true,
      reasons: [`new step (${now.status ?? "?"})`, ...(mismatch ? [describeMismatch(mismatch)] : [])],
    });
  }
  return result;
}
