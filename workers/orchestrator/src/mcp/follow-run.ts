import type { RunEvent } from "../../../../shared/contracts/records.ts";
import { RunEventSchema } from "../../../../shared/contracts/schemas/events.ts";
import { followSse } from "../../../../shared/sse/follow.ts";
import type { OrchestratorEnv } from "../env.ts";
import { runStub } from "../run/stub.ts";

/** A decision a person must take before the run goes on: the run and step to decide it on, and what it is about. */
export interface WaitingApproval {
  run_id: string;
  step_id: string;
  tool_name?: string;
  arguments?: unknown;
}

/** Where a follow stopped: the last event id read and how many steps had settled, to go on from there. */
export interface FollowCursor {
  after: string;
  settled: number;
}

/** How following a run ended: the run ended, or it waits for a person. */
export type RunOutcome = ({ kind: "ended"; status: string } | { kind: "waiting"; approval: WaitingApproval }) & { cursor: FollowCursor };

const END_EVENTS = new Set(["run_completed", "run_failed", "run_cancelled", "run_needs_human"]);
const WAIT_EVENTS = new Set(["approval_pending", "step_needs_human"]);
const SETTLED_STEP_EVENTS = new Set(["step_completed", "step_failed", "step_skipped", "step_cancelled"]);

/** The approval an event names: a sub-run's is decided on the sub-run (the event carries its names). */
function approvalOf(runId: string, event: RunEvent): WaitingApproval {
  const data = event.data ?? {};
  const inSubRun = typeof data.sub_run_id === "string" && typeof data.sub_step_id === "string";
  return {
    run_id: inSubRun ? (data.sub_run_id as string) : runId,
    step_id: inSubRun ? (data.sub_step_id as string) : event.step_id!,
    ...(typeof data.tool_name === "string" ? { tool_name: data.tool_name } : event.type === "step_needs_human" ? { tool_name: "ktsu_needs_human" } : {}),
    ...(data.arguments !== undefined ? { arguments: data.arguments } : {}),
  };
}

function decodeEvent(data: string): RunEvent | null {
  try {
    const parsed = RunEventSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Follows a run's events from its Durable Object (the stream `GET /runs/{id}/events` serves),
 * reconnecting after a drop, until the run ends or waits for a person. `onStepSettled` hears
 * each step that settled, with how many have so far. `from` goes on after an earlier follow
 * stopped at a wait (the decision's events come next).
 */
export async function followRun(
  env: OrchestratorEnv,
  runId: string,
  onStepSettled: (event: RunEvent, settled: number) => Promise<void>,
  signal?: AbortSignal,
  from: FollowCursor = { after: "0", settled: 0 },
): Promise<RunOutcome> {
  const stream = followSse({
    lastEventId: from.after,
    url: "https://run/events",
    // A new stub per connection: one that threw may stay broken. The object reads the resume point from the query.
    fetch: (_url, init) => {
      const after = new Headers(init.headers).get("last-event-id") ?? "0";
      return runStub(env, runId).fetch(`https://run/events?after=${encodeURIComponent(after)}`, init);
    },
    isLast: (message) => END_EVENTS.has(message.event) || WAIT_EVENTS.has(message.event),
    ...(signal ? { signal } : {}),
  });
  let { after, settled } = from;
  for await (const message of stream) {
    after = message.id ?? after;
    const event = decodeEvent(message.data);
    if (!event) continue;
    if (SETTLED_STEP_EVENTS.has(event.type)) await onStepSettled(event, ++settled);
    const cursor = { after, settled };
    if (WAIT_EVENTS.has(event.type) && event.step_id) return { kind: "waiting", approval: approvalOf(runId, event), cursor };
    if (END_EVENTS.has(event.type)) return { kind: "ended", status: typeof event.data?.status === "string" ? event.data.status : event.type, cursor };
  }
  return { kind: "ended", status: "unknown", cursor: { after, settled } };
}
