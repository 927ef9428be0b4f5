// What a step error means, so the viewer can point at the cause: a reserved
// `ktsu_*` output field (spec §8.9), an Air-Lock rejection, or fail-fast.

/** The step error text of each reserved field (workers/orchestrator/src/engine/reserved-fields.ts). */
const RESERVED: readonly [text: string, field: string, meaning: string][] = [
  ["injection attempt detected", "ktsu_injection_attempt", "the output flagged a prompt-injection attempt"],
  ["untrusted content detected", "ktsu_untrusted_content", "the output flagged untrusted content"],
  ["low quality output", "ktsu_low_quality", "the output flagged itself as low quality"],
  ["needs_human_review", "ktsu_needs_human", "the output asked for a human review"],
  ["confidence below threshold", "ktsu_confidence", "ktsu_confidence was below the step's confidence_threshold"],
];

export interface ReservedSignal {
  field: string;
  meaning: string;
}

export function reservedSignal(error: string | undefined): ReservedSignal | null {
  if (!error) return null;
  for (const [text, field, meaning] of RESERVED) if (error.includes(text)) return { field, meaning };
  return null;
}

/** Fail-fast stopped this step because another one failed. */
export function wasCancelled(error: string | undefined): boolean {
  return !!error && error.startsWith("cancelled:");
}
