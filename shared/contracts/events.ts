// The events a run records, in its own stream (`GET /runs/{id}/events`) and in the Store.
// One list, so the orchestrator that writes them and the CLI and viewer that read them
// cannot drift apart: a consumer keyed on `RunEventType` fails to typecheck when a type is added.

/** Every event type a run can record, in the order a run usually meets them. */
export const RUN_EVENT_TYPES = [
  "run_started",
  "step_started",
  "step_completed",
  "step_skipped",
  "step_failed",
  "step_cancelled",
  "step_needs_human",
  "step_redispatched",
  "approval_pending",
  "approval_decided",
  "approval_timed_out",
  "run_resumed",
  "run_needs_human",
  "run_completed",
  "run_failed",
  "run_cancelled",
] as const;

export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** Events of a sub-run that are forwarded to its parent's stream: the ones that wait for a person. */
export const FORWARDED_EVENT_TYPES: ReadonlySet<RunEventType> = new Set<RunEventType>([
  "approval_pending",
  "approval_decided",
  "approval_timed_out",
  "step_needs_human",
]);

export function isRunEventType(value: unknown): value is RunEventType {
  return typeof value === "string" && (RUN_EVENT_TYPES as readonly string[]).includes(value);
}
