// What stopped a step, so the viewer can point at the cause: a reserved `ktsu_*` output field
// the model set, or the run ending around the step. Both are typed facts on the step record
// (`StepRecord.signal`, `StepRecord.cancelled`); the error text is only shown, never parsed.
import type { ReservedSignalField, StepRecord } from "../../shared/contracts/records.ts";

/** What each reserved field means when it stops a step; keyed on the type, so none is missing. */
export const SIGNAL_MEANINGS: Readonly<Record<ReservedSignalField, string>> = {
  ktsu_injection_attempt: "the output flagged a prompt-injection attempt",
  ktsu_untrusted_content: "the output flagged untrusted content",
  ktsu_low_quality: "the output flagged itself as low quality",
  ktsu_needs_human: "the output asked for a human review",
  ktsu_confidence: "ktsu_confidence was below the step's confidence_threshold",
};

export interface ReservedSignal {
  field: ReservedSignalField;
  meaning: string;
}

/** The reserved field that stopped the step, if one did (nothing when the record does not say). */
export function reservedSignal(step: Pick<StepRecord, "signal">): ReservedSignal | null {
  return step.signal ? { field: step.signal, meaning: SIGNAL_MEANINGS[step.signal] } : null;
}

/** The run ended (fail-fast after another step failed, or a cancel) while this step was still running. */
export function wasCancelled(step: Pick<StepRecord, "cancelled">): boolean {
  return step.cancelled !== undefined;
}
