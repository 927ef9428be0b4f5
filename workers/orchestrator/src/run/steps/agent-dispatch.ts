// Sending an agent step (or one fanout item) to the runtime: the invocation
// request with its resolved params, the durable state before the dispatch, and
// resuming a step with its conversation so far.

import { project } from "ktsu-project";
import type { CompiledAgentStep } from "../../../../../shared/bundle.ts";
import { callbackPath, type ChatMessage, type InvokeRequest } from "../../../../../shared/contracts/runtime.ts";
import { evaluate, stringForm, wholeTemplateExpression, type JsonValue } from "../../../../../shared/expr/index.ts";
import { buildInvokeRequest, DispatchError } from "../../engine/agent-request.ts";
import type { RunContext } from "../context.ts";
import type { StepState } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";

export interface AgentResume {
  messages: ChatMessage[];
  approved_tool_calls?: string[];
  /** Continue the turn count from here (re-dispatch after a lost runtime). */
  resume_turn?: number;
}

/** The step params that are exactly `{{ params.X }}` with X a secret param of this run's workflow. */
function secretSourced(ctx: RunContext, params: Record<string, unknown>): Set<string> {
  const secret = new Set(ctx.state.workflow.params.declared.filter((p) => p.secret).map((p) => p.name));
  const sourced = new Set<string>();
  for (const [key, value] of Object.entries(params)) {
    const expr = typeof value === "string" ? wholeTemplateExpression(value) : undefined;
    const match = expr === undefined ? null : /^params\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr.trim());
    if (match && secret.has(match[1]!)) sourced.add(key);
  }
  return sourced;
}

/** Agent step params: a whole `{{ }}` string is evaluated and stringified; a null result keeps the text. */
function agentStepParams(params: Record<string, unknown>, context: Record<string, unknown>): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (key === "server") continue;
    const expr = typeof value === "string" ? wholeTemplateExpression(value) : undefined;
    if (expr === undefined) {
      resolved[key] = value;
      continue;
    }
    let result: JsonValue;
    try {
      result = evaluate(expr, context);
    } catch (err) {
      throw new DispatchError(`agent param "${key}" template: ${(err as Error).message}`, { cause: err });
    }
    resolved[key] = result === null ? value : stringForm(result);
  }
  return resolved;
}

/** The runtime invocation for a step (`stepId` = the step id, or `<step>.<index>` for a fanout item). */
export function invokeRequest(ctx: RunContext, step: CompiledAgentStep, stepId: string, attempt: number, context: Record<string, unknown>): InvokeRequest {
  const run = ctx.state.run;
  return buildInvokeRequest(project, step, agentStepParams(step.params, context), ctx.scope.envLookup(), {
    runId: run.run_id,
    stepId,
    callbackUrl: callbackPath(run.run_id, stepId),
    costBudgetUsd: run.cost_budget_usd,
    budgetRunId: run.root_run_id,
    attempt,
    secretSourced: secretSourced(ctx, step.params),
  });
}

/** Dispatches a (non-fanout) agent step, a new attempt each time; the result arrives by callback. */
export async function dispatchAgent(ctx: RunContext, step: CompiledAgentStep, state: StepState, resume?: AgentResume): Promise<StepOutcome> {
  state.attempt += 1;
  let request: InvokeRequest;
  try {
    // Agent params see flat ids, `step` and `params`, but never `env`.
    request = invokeRequest(ctx, step, step.id, state.attempt, ctx.scope.context({ env: false }));
  } catch (err) {
    return { kind: "failed", error: (err as Error).message };
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
