// Routes a step to the handler of its kind: starting it, the runtime's
// callbacks and heartbeats, and the alarm's liveness and recovery checks.

import type { CompiledAgentStep, CompiledStep } from "../../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../../shared/contracts/metrics.ts";
import type { CallbackPayload } from "../../../../../shared/contracts/runtime.ts";
import { evaluateCondition } from "../../../../../shared/expr/index.ts";
import type { RunContext } from "../context.ts";
import { normalizeMetrics } from "../../engine/metrics.ts";
import { oversizedInputError } from "../fanout-input.ts";
import type { Handoff } from "../handoff.ts";
import type { ItemState, StepState } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";
import { checkAgentLiveness, onAgentCallback } from "./agent.ts";
import { dispatchAgent } from "./agent-dispatch.ts";
import { applyItemResult, checkItemsLiveness, pumpAndSettle, resumeFanout, startFanout } from "./fanout.ts";
import { startSubWorkflow } from "./sub-workflow.ts";
import { runTransformStep } from "./transform.ts";
import { resumeWebhook, startWebhook } from "./webhook.ts";

const CONDITION_FALSE = { skipped: true, reason: "condition_false" };

/** Starts a step of any kind. Null: the handler settles the step itself later (webhooks). */
export async function startStepWork(ctx: RunContext, step: CompiledStep, state: StepState): Promise<StepOutcome | null> {
  if (step.type === "webhook" && !ctx.state.run.webhooks_enabled) {
    // A suppressed sub-workflow webhook skips without evaluating its condition.
    return { kind: "skipped", context: { suppressed: true } };
  }
  const oversized = oversizedInputError(ctx.state, step, ctx.state.run.run_id);
  if (oversized) return { kind: "failed", error: oversized };
  if (step.condition) {
    const outcome = evaluateCondition(step.condition, ctx.scope.context());
    if (outcome.error) console.log(`run ${ctx.state.run.run_id}: step "${step.id}" condition error, skipping: ${outcome.error.message}`);
    if (!outcome.truthy) return { kind: "skipped", context: CONDITION_FALSE };
  }
  switch (step.type) {
    case "transform":
      return runTransformStep(ctx, step);
    case "webhook":
      startWebhook(ctx, step, state);
      return null;
    case "agent":
      return step.for_each ? startFanout(ctx, step, state) : dispatchAgent(ctx, step, state);
    case "workflow":
      return startSubWorkflow(ctx, step, state);
  }
}

/** A callback's step id: a pipeline step, or `<step>.<index>` of a fanout item. */
function locate(ctx: RunContext, stepId: string): { step: CompiledAgentStep; state: StepState; item?: ItemState } | null {
  const pipeline = ctx.state.workflow.pipeline;
  const direct = pipeline.find((s) => s.id === stepId);
  if (direct?.type === "agent" && !direct.for_each) return { step: direct, state: ctx.state.stepState(direct.id) };
  const dot = stepId.lastIndexOf(".");
  if (dot < 0) return null;
  const parent = pipeline.find((s) => s.id === stepId.slice(0, dot));
  const index = Number(stepId.slice(dot + 1));
  if (parent?.type !== "agent" || !parent.for_each || !Number.isInteger(index)) return null;
  const state = ctx.state.stepState(parent.id);
  const item = ctx.state.item(parent.id, index);
  return item && state.status === "running" ? { step: parent, state, item } : null;
}

/**
 * The runtime's results for agent steps or fanout items; results of superseded dispatches are
 * ignored. Fanout items' results are applied first and each fanout is pumped once after, so the
 * results a host reports together are stored with one commit (and `handoff` offers the host once per item).
 */
export async function onCallbacks(ctx: RunContext, payloads: CallbackPayload[], handoff?: Handoff): Promise<void> {
  const fanouts = new Map<string, { step: CompiledAgentStep; state: StepState }>();
  for (const payload of payloads) {
    const target = locate(ctx, payload.step_id);
    if (!target) continue;
    const { step, state, item } = target;
    if (payload.attempt !== undefined && payload.attempt !== (item ?? state).attempt) continue;
    const metrics = callbackMetrics(payload);
    if (!item) await onAgentCallback(ctx, step, state, payload, metrics);
    else if (applyItemResult(ctx, step, state, item, payload, metrics, handoff)) fanouts.set(step.id, { step, state });
  }
  for (const { step, state } of fanouts.values()) await pumpAndSettle(ctx, step, state, handoff);
}

/** Whether `attempt` of a step (or item) is the one the run is waiting for. */
export function isCurrentAttempt(ctx: RunContext, stepId: string, attempt: number): boolean {
  if (ctx.state.run.status !== "running") return false;
  const target = locate(ctx, stepId);
  if (!target) return false;
  const holder = target.item ?? target.state;
  return holder.status === "running" && holder.attempt === attempt;
}

/**
 * Moves the heartbeat deadlines of the named steps (or items). Deadlines live in memory only:
 * after an eviction every running step gets a fresh deadline instead (when the run state is
 * loaded). The one change a heartbeat stores is a waiting item's `start_unconfirmed` mark, which
 * it clears (the host runs the item): stored, so that an eviction does not bring the mark back and
 * dispatch a running item again. Returns whether it cleared one, for the caller to commit.
 */
export function onHeartbeat(ctx: RunContext, stepIds: string[], timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  let confirmed = false;
  for (const stepId of stepIds) {
    const target = locate(ctx, stepId);
    if (!target) continue;
    const holder = target.item ?? target.state;
    if (holder.status === "running") holder.heartbeat_deadline_at = deadline;
    if (target.item?.start_unconfirmed) {
      delete target.item.start_unconfirmed;
      ctx.state.putItem(target.state.id, target.item);
      confirmed = true;
    }
  }
  return confirmed;
}

/** The alarm's liveness check for a step (or its fanout items) whose heartbeats stopped; returns the step error, if any. */
export async function checkLiveness(ctx: RunContext, step: CompiledStep, state: StepState, at: number, timeoutMs: number): Promise<string | null> {
  if (step.type !== "agent") return null;
  if (!step.for_each) return checkAgentLiveness(ctx, step, state, at, timeoutMs);
  checkItemsLiveness(ctx, step, state, at, timeoutMs);
  return null;
}

/** After an eviction: work whose promise died with the old instance is started again. */
export async function resumeLost(ctx: RunContext, step: CompiledStep, state: StepState): Promise<void> {
  if (step.type === "webhook") resumeWebhook(ctx, step, state);
  if (step.type === "agent" && step.for_each) await resumeFanout(ctx, step, state);
}

/**
 * The step metrics of a runtime result: missing fields are zeros, the models that answered
 * are kept, and a step the runtime reflected on (`reflect_calls` > 0) is `reflected`.
 */
function callbackMetrics(payload: CallbackPayload): StepMetrics {
  const { reflected: _fromPayload, ...metrics } = normalizeMetrics(payload.metrics);
  return (metrics.reflect_calls ?? 0) > 0 ? { ...metrics, reflected: true } : metrics;
}
