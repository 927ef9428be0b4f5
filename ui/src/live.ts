// Statuses announced by a run's events, applied on top of the last fetched
// records so the graph changes colour the moment an event arrives.
import type { RunEventType } from "../../shared/contracts/events.ts";
import type { RunStatus, StepStatus } from "../../shared/contracts/records.ts";
import type { RunEvent } from "./types.ts";

/** What an event says about the step it names, or about the run. */
type Announces = { step: StepStatus } | { run: RunStatus };

/**
 * Every event type and the status it announces. Keyed on `RunEventType`, so an event type added
 * to the contract fails the typecheck here until the viewer knows what it means.
 */
const ANNOUNCES: Readonly<Record<RunEventType, Announces>> = {
  run_started: { run: "running" },
  step_started: { step: "running" },
  step_completed: { step: "complete" },
  step_skipped: { step: "skipped" },
  step_failed: { step: "failed" },
  step_cancelled: { step: "failed" },
  step_needs_human: { step: "needs_human" },
  // The runtime was lost and the step was sent again: it is still running.
  step_redispatched: { step: "running" },
  approval_pending: { step: "pending_approval" },
  // Approved: the step runs again (or completes, which its next event says); rejected: it fails
  // or recovers, likewise. A timed-out approval fails the step or rejects the call, likewise.
  approval_decided: { step: "running" },
  approval_timed_out: { step: "running" },
  run_resumed: { run: "running" },
  run_needs_human: { run: "needs_human" },
  run_completed: { run: "complete" },
  run_failed: { run: "failed" },
  run_cancelled: { run: "cancelled" },
};

export interface LiveStatuses {
  run?: string;
  steps: Map<string, string>;
}

/** When the fetched records last changed: only events after that are news. */
export interface RecordTimes {
  run?: string;
  /** Per step: its `ended_at`, else its `started_at`. */
  steps: ReadonlyMap<string, string>;
}

const after = (event: RunEvent, time: string | undefined) => time === undefined || Date.parse(event.created_at) > Date.parse(time);

/**
 * The latest status per step (and of the run) among events newer than the
 * records. Comparing times rather than arrival order matters when a page opens:
 * the stream replays the whole history, and its early events must not paint a
 * finished run as running again. A tie goes to the record.
 */
export function liveStatuses(events: readonly RunEvent[], records: RecordTimes): LiveStatuses {
  const out: LiveStatuses = { steps: new Map() };
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    // An event type newer than this viewer (its stream is not typechecked) announces nothing.
    const announces: Announces | undefined = ANNOUNCES[event.type];
    if (!announces) continue;
    if ("step" in announces) {
      if (!event.step_id || !after(event, records.steps.get(event.step_id))) continue;
      // A step's own settling event carries its exact status (e.g. a cancelled step's "failed").
      const stated = event.data?.status;
      out.steps.set(event.step_id, event.type.startsWith("step_") && typeof stated === "string" ? stated : announces.step);
    } else if (after(event, records.run)) {
      out.run = announces.run;
    }
  }
  return out;
}

/** Step statuses worth a look first: the default selection on a run page. */
export const ATTENTION = ["pending_approval", "needs_human", "failed"] as const;
