// What executing a step produced, and what its output means: the data that
// flows from the step handlers into the run's transitions.

import type { StepMetrics } from "../../../../shared/contracts/metrics.ts";
import type { PagedResults } from "../engine/fanout-result.ts";
import type { ReservedSignalField, ValidationFailure } from "../../../../shared/contracts/records.ts";

export interface FailureDetails {
  raw_output?: string;
  validation_errors?: ValidationFailure[];
}

/** What executing a step produced. `waiting` means the result arrives later (callback, child run, webhook). */
export type StepOutcome =
  | { kind: "output"; output: Record<string, unknown> | null; metrics?: StepMetrics; reflected?: boolean; paged?: PagedResults }
  | { kind: "skipped"; context: unknown; metrics?: StepMetrics }
  | { kind: "failed"; error: string; metrics?: StepMetrics; details?: FailureDetails }
  | { kind: "waiting"; metrics?: StepMetrics };

/** What a finished step's output means once reserved fields and the output schema are applied. */
export type OutputVerdict =
  | { kind: "complete"; output: Record<string, unknown> }
  | { kind: "skipped"; context: unknown }
  | { kind: "needs_human"; output: Record<string, unknown>; signal: ReservedSignalField }
  | { kind: "failed"; error: string; details?: FailureDetails; signal?: ReservedSignalField };
