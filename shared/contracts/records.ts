// Run, Step and Approval records as the HTTP API shows them. The shapes are defined once, as the
// zod schemas in schemas/records.ts (which also describe the API in its OpenAPI document); these
// are their TypeScript types.
import type { z } from "zod";
import type {
  ApprovalRecordSchema,
  ApprovalStatusSchema,
  EnvelopeSchema,
  EnvelopeStepSchema,
  ReservedSignalFieldSchema,
  RunRecordSchema,
  RunStatusSchema,
  StepCancellationSchema,
  StepRecordSchema,
  StepStatusSchema,
  ValidationFailureSchema,
} from "./schemas/records.ts";
import type { RunEventSchema } from "./schemas/events.ts";

export type RunStatus = z.infer<typeof RunStatusSchema>;
export type StepStatus = z.infer<typeof StepStatusSchema>;
export type RunRecord = z.infer<typeof RunRecordSchema>;
export type ValidationFailure = z.infer<typeof ValidationFailureSchema>;

/**
 * The reserved `ktsu_*` output fields that end a step by themselves (a model's output flags
 * itself), as a typed fact on the step so no consumer has to read the error text.
 */
export type ReservedSignalField = z.infer<typeof ReservedSignalFieldSchema>;

/** A step stopped because the run around it ended (fail-fast, or a cancel), not because of its own result. */
export type StepCancellation = z.infer<typeof StepCancellationSchema>;

export type StepRecord = z.infer<typeof StepRecordSchema>;

/** One event of a run: an SSE event's data on `GET /runs/{id}/events`, a row of the Store's events. */
export type RunEvent = z.infer<typeof RunEventSchema>;

export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

/** A human decision a step waits for; several per step over time (a resumed step may ask again). */
export type ApprovalRecord = z.infer<typeof ApprovalRecordSchema>;

/** One settled step in the envelope. */
export type EnvelopeStep = z.infer<typeof EnvelopeStepSchema>;

/** `GET /runs/{id}/envelope` (the API adds the gateway's `budget` for budgeted runs). */
export type Envelope = z.infer<typeof EnvelopeSchema>;
