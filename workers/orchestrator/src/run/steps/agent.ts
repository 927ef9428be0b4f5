// Agent steps (one runtime invocation, not `for_each`): the runtime's result
// for the step, and the liveness check that re-dispatches a step whose runtime
// was lost after it made progress.

import type { CompiledAgentStep } from "../../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../../shared/contracts/metrics.ts";
import type { CallbackPayload } from "../../../../../shared/contracts/runtime.ts";
import { MAX_RECORDED_CALLS } from "../../../../../shared/otel/limits.ts";
import { holdsReplayContent, withoutReplayContent } from "../../../../../shared/replay/call-record.ts";
import { jsonBytes, MAX_MESSAGES_BYTES, MAX_RAW_OUTPUT_CHARS, truncate } from "../../engine/limits.ts";
import { addMetrics } from "../../engine/semantics.ts";
import type { RunContext } from "../context.ts";
import type { StepState } from "../model.ts";
import { dispatchAgent, resumeAgent } from "./agent-dispatch.ts";
import { openApproval } from "./approvals.ts";

/**
 * A safety cap on re-dispatches of one step. Each needs progress (a newer checkpoint); a
 * step's host resumes itself after an eviction, so a re-dispatch is the fallback for a
 * host that stopped beating.
 */
const MAX_REDISPATCHES = 50;

/** The runtime's result for the step: its output, its failure, or an approval it waits for. */
export async function onAgentCallback(
  ctx: RunContext,
  step: CompiledAgentStep,
  state: StepState,
  payload: CallbackPayload,
  metrics: StepMetrics,
): Promise<void> {
  if (state.status !== "running") return;
  delete state.heartbeat_deadline_at;
  // The conversation is kept on the step record only while small; approvals keep theirs in a checkpoint.
  const keepsMessages = payload.messages !== undefined && jsonBytes(payload.messages) <= MAX_MESSAGES_BYTES;
  if (keepsMessages) state.messages = ctx.state.scrubber().value(payload.messages);
  // Each attempt reports its own calls: an approval's resume or a re-dispatch adds to the earlier ones.
  // Their replies and tool results (kept for a replay) are in the messages when those are kept.
  if (payload.calls && payload.calls.length > 0) {
    const calls = keepsMessages && holdsReplayContent(payload.calls) ? payload.calls.map(withoutReplayContent) : payload.calls;
    state.calls = [...(state.calls ?? []), ...ctx.state.scrubber().value(calls)].slice(0, MAX_RECORDED_CALLS);
  }
  // Earlier legs of the step (before an approval or a re-dispatch) count too.
  const total = addMetrics(state.partial_metrics, metrics);
  switch (payload.status) {
    case "ok":
      ctx.settle(step, { kind: "output", output: payload.output, metrics: total, reflected: (total.reflect_calls ?? 0) > 0 });
      return;
    case "failed":
      ctx.settle(step, {
        kind: "failed",
        error: `agent step failed: ${payload.error}`,
        metrics: total,
        ...(payload.raw_output !== undefined ? { details: { raw_output: truncate(payload.raw_output, MAX_RAW_OUTPUT_CHARS) } } : {}),
      });
      return;
    case "pending_approval":
      await openApproval(ctx, step, state, payload, total);
      return;
  }
}

/**
 * The alarm's liveness check for a step whose heartbeats stopped. A step whose
 * runtime made progress since its dispatch (a newer checkpoint) is re-dispatched
 * from that checkpoint, never repeating a finished turn. A first dispatch lost before it
 * recorded any checkpoint ran no tool call (a step's host makes itself durable, and then
 * resumes by itself, before its first tool call), so it is dispatched again from the
 * start, once. Otherwise the step fails. Returns the step error, if any.
 */
export async function checkAgentLiveness(ctx: RunContext, step: CompiledAgentStep, state: StepState, at: number, timeoutMs: number): Promise<string | null> {
  if (!state.heartbeat_deadline_at || at < state.heartbeat_deadline_at) return null;
  const checkpoint = await ctx.state.readCheckpoint(step.id);
  const progressed = checkpoint !== undefined && checkpoint.turn > (state.dispatched_turn ?? 0);
  if (progressed && (state.redispatches ?? 0) < MAX_REDISPATCHES) {
    state.redispatches = (state.redispatches ?? 0) + 1;
    // The lost invocation's usage up to its checkpoint counts toward the step.
    state.metrics = addMetrics(state.partial_metrics, checkpoint.metrics);
    ctx.event("step_redispatched", step.id, { from_turn: checkpoint.turn, attempt: state.attempt + 1 });
    return resumeAgent(ctx, step, state, { messages: checkpoint.messages, resume_turn: checkpoint.turn });
  }
  // A first dispatch lost before it recorded anything: nothing to resume, nothing that ran.
  if (checkpoint === undefined && !state.approval && !state.redispatched_unrecorded) {
    state.redispatched_unrecorded = true;
    ctx.event("step_redispatched", step.id, { from_turn: 0, attempt: state.attempt + 1 });
    const outcome = await dispatchAgent(ctx, step, state);
    return outcome.kind === "failed" ? outcome.error : null;
  }
  return `agent step "${step.id}" timed out: no heartbeat from the runtime for ${Math.round(timeoutMs / 1000)}s`;
}
