// Sending an agent step (or one fanout item) to the runtime: the invocation
// request with its resolved params, the durable state before the dispatch, and
// resuming a step with its conversation so far.

import { project } from "ktsu-project";
import type { CompiledAgentStep } from "../../../../../shared/bundle.ts";
import { callbackPath, type ChatMessage, type InvokeRequest } from "../../../../../shared/contracts/runtime.ts";
import { stringForm } from "../../../../../shared/expr/index.ts";
import { resolveValue, VALUE_FIELDS, type ValueScope } from "../../../../../shared/values/index.ts";
import { buildInvokeRequest, DispatchError } from "../../engine/agent-request.ts";
import type { RunContext } from "../context.ts";
import type { StepState } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";
import { stepSpanId, traceparentOf } from "../../../../../shared/otel/trace-context.ts";
import { errorMessage } from "../../../../../shared/util/errors.ts";

export interface AgentResume {
  messages: ChatMessage[];
  approved_tool_calls?: string[];
  /** Continue the turn count from here (re-dispatch after a lost runtime). */
  resume_turn?: number;
}

/**
 * An agent step's params resolved as value sources: a whole `{{ }}` keeps its value
 * (then stringified, as agent params are strings), templates inside text are
 * interpolated, `{{ env.X }}` reads a root run's declared env. A value that resolves
 * to null is left out, so the agent's default (or its required-param error) applies.
 * Also returns which params were read from a secret env var or secret param.
 */
function agentStepParams(params: Record<string, unknown>, scope: ValueScope): { values: Record<string, unknown>; fromSecret: Set<string> } {
  const values: Record<string, unknown> = {};
  const fromSecret = new Set<string>();
  for (const [key, value] of Object.entries(params)) {
    if (key === "server") continue;
    if (typeof value !== "string") {
      values[key] = value; // refused with its type named if the agent declares it
      continue;
    }
    const outcome = resolveValue(value, scope, VALUE_FIELDS.agentStepParam);
    if (!outcome.ok) throw new DispatchError(`agent param "${key}": ${outcome.error.message}`, { cause: outcome.error });
    if (outcome.value === null) continue;
    values[key] = stringForm(outcome.value);
    if (outcome.secret) fromSecret.add(key);
  }
  return { values, fromSecret };
}

/** The runtime invocation for a step (`stepId` = the step id, or `<step>.<index>` for a fanout item). */
export function invokeRequest(ctx: RunContext, step: CompiledAgentStep, stepId: string, attempt: number, scope: ValueScope): InvokeRequest {
  const run = ctx.state.run;
  const params = agentStepParams(step.params, scope);
  const request = buildInvokeRequest(ctx.state.projectVersion(project), step, params.values, scope.env, {
    runId: run.run_id,
    stepId,
    callbackUrl: callbackPath(run.run_id, stepId),
    costBudgetUsd: run.cost_budget_usd,
    budgetRunId: run.root_run_id,
    attempt,
    secretSourced: params.fromSecret,
  });
  // The step's span is the parent of the runtime's work (a fanout item's too: items have no span of their own).
  if (run.trace) request.traceparent = traceparentOf(run.trace, stepSpanId(run.run_id, step.id));
  return request;
}

/** Dispatches a (non-fanout) agent step, a new attempt each time; the result arrives by callback. */
export async function dispatchAgent(ctx: RunContext, step: CompiledAgentStep, state: StepState, resume?: AgentResume): Promise<StepOutcome> {
  state.attempt += 1;
  let request: InvokeRequest;
  try {
    request = invokeRequest(ctx, step, step.id, state.attempt, ctx.scope.valueScope());
  } catch (err) {
    return { kind: "failed", error: errorMessage(err) };
  }
  if (resume) {
    request.messages = resume.messages;
    request.is_resume = true;
    if (resume.approved_tool_calls) request.approved_tool_calls = resume.approved_tool_calls;
    if (resume.resume_turn !== undefined) request.resume_turn = resume.resume_turn;
  }
  state.status = "running";
  state.heartbeat_deadline_at = Date.now() + ctx.heartbeatTimeoutMs();
  ctx.state.touchStep(state);
  // Durable before the runtime hears of it: a callback can never find unknown state.
  await ctx.commit();
  const failure = await ctx.dispatch(request);
  return failure ? { kind: "failed", error: failure } : { kind: "waiting" };
}

/**
 * Sends an agent step back to the runtime with its conversation so far: after an
 * approval decision, or after its runtime was lost mid-loop. Returns an error text
 * when the dispatch failed.
 */
export async function resumeAgent(ctx: RunContext, step: CompiledAgentStep, state: StepState, resume: AgentResume): Promise<string | null> {
  state.partial_metrics = state.metrics;
  state.dispatched_turn = state.checkpoint_turn ?? 0;
  const outcome = await dispatchAgent(ctx, step, state, resume);
  return outcome.kind === "failed" ? outcome.error : null;
}
