// Statuses announced by a run's events, applied on top of the last fetched
// records so the graph changes colour the moment an event arrives.
import type { RunEvent } from "./types.ts";

const STEP_EVENTS: Record<string, string> = {
  step_started: "running",
  step_completed: "complete",
  step_skipped: "skipped",
  step_failed: "failed",
  step_cancelled: "failed",
  step_needs_human: "needs_human",
  approval_pending: "pending_approval",
  // Approved: the step runs again (or completes, which its next event says); rejected: it fails or recovers, likewise.
  approval_decided: "running",
};

const RUN_EVENTS: Record<string, string> = {
  run_started: "running",
  run_resumed: "running",
  run_completed: "complete",
  run_failed: "failed",
  run_needs_human: "needs_human",
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
    if (event.step_id && event.type in STEP_EVENTS) {
      if (!after(event, records.steps.get(event.step_id))) continue;
      const stated = event.data?.status;
      out.steps.set(event.step_id, event.type.startsWith("step_") && typeof stated === "string" ? stated : STEP_EVENTS[event.type]!);
    } else if (event.type in RUN_EVENTS && after(event, records.run)) {
      out.run = RUN_EVENTS[event.type]!;
    }
  }
  return out;
}

/** Step statuses worth a look first: the default selection on a run page. */
export const ATTENTION = ["pending_approval", "needs_human", "failed"] as const;
