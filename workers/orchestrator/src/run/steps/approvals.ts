// Approval-gated tool calls and needs_human halts: opening an approval, a
// reviewer's decision, and an approval's timeout.

import type { CompiledAgentStep } from "../../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../../shared/contracts/metrics.ts";
import type { CallbackPayload } from "../../../../../shared/contracts/runtime.ts";
import { stringForm } from "../../../../../shared/expr/index.ts";
import { resolveValue, VALUE_FIELDS } from "../../../../../shared/values/index.ts";
import { jsonBytes, MAX_CHECKPOINT_BYTES } from "../../engine/limits.ts";
import type { RunContext } from "../context.ts";
import type { StepState } from "../model.ts";
import { now } from "../now.ts";
import { resumeAgent } from "./agent-dispatch.ts";
import { sendThroughEgress } from "./egress.ts";

export type Decision = "approved" | "rejected";

export interface DecisionResult {
  status: 200 | 400 | 404 | 409 | 500;
  message?: string;
}

/** The tool result a rejected call gets when the agent may recover (`on_reject: recover`). */
export const REJECTED_TOOL_RESULT = "Tool call rejected by human reviewer. Please find an alternative approach.";

/**
 * The runtime suspended a step at an approval-gated tool. The step
 * keeps its conversation as a checkpoint in the run's storage and costs no
 * running Worker until a decision re-dispatches it.
 */
export async function openApproval(ctx: RunContext, step: CompiledAgentStep, state: StepState, payload: CallbackPayload, metrics: StepMetrics): Promise<void> {
  const pending = payload.pending_approval;
  if (!pending) {
    ctx.settle(step, { kind: "failed", error: "agent step failed: pending_approval without the pending call", metrics });
    return;
  }
  const messages = payload.messages ?? [];
  if (jsonBytes(messages) > MAX_CHECKPOINT_BYTES) {
    ctx.settle(step, {
      kind: "failed",
      error: `agent step failed: the conversation is too large to suspend for approval (over ${MAX_CHECKPOINT_BYTES} bytes)`,
      metrics,
    });
    return;
  }
  state.status = "pending_approval";
  state.metrics = metrics;
  state.partial_metrics = metrics;
  delete state.heartbeat_deadline_at;
  await ctx.state.writeCheckpoint(step.id, { attempt: state.attempt, turn: state.checkpoint_turn ?? 0, messages });
  ctx.state.putApproval(state, {
    run_id: ctx.state.run.run_id,
    step_id: step.id,
    seq: (state.approval?.seq ?? 0) + 1,
    tool_name: pending.tool_name,
    tool_use_id: pending.tool_use_id,
    arguments: pending.arguments,
    on_reject: pending.on_reject,
    timeout_ms: pending.timeout_ms,
    timeout_behavior: pending.timeout_behavior,
    status: "pending",
    created_at: now(),
    partial_metrics: metrics,
    kind: "tool",
    ...(pending.timeout_ms > 0 ? { timeout_at: Date.now() + pending.timeout_ms } : {}),
  });
  ctx.event("approval_pending", step.id, { tool_name: pending.tool_name, arguments: pending.arguments });
  notifyApprovalWebhooks(ctx, step.id, state);
}

/**
 * `on: approval` webhook steps that depend on the step are sent when an approval
 * opens. They are never ordinary DAG steps (the scheduler never starts them),
 * so they do not hold up the run. Failures are logged.
 */
function notifyApprovalWebhooks(ctx: RunContext, stepId: string, state: StepState): void {
  const approval = state.approval!;
  for (const hook of ctx.state.workflow.pipeline) {
    if (hook.type !== "webhook" || hook.on !== "approval" || !hook.depends_on.includes(stepId)) continue;
    // The URL reads what a webhook step's URL reads (a sub-run has no env); one that cannot resolve is skipped.
    const outcome = resolveValue(hook.webhook.url, ctx.scope.valueScope(), VALUE_FIELDS.webhookUrl);
    if (!outcome.ok) {
      console.error(`run ${approval.run_id}: approval webhook "${hook.id}" not sent: url: ${ctx.state.scrubber().text(outcome.error.message)}`);
      continue;
    }
    const url = outcome.value === null ? "" : stringForm(outcome.value);
    if (url === "") continue;
    const body = {
      run_id: approval.run_id,
      step_id: stepId,
      tool_name: approval.tool_name,
      tool_use_id: approval.tool_use_id,
      arguments: approval.arguments ?? {},
      status: "pending",
    };
    ctx.keepAlive(
      sendThroughEgress(ctx.gateway, {
        method: hook.webhook.method,
        url,
        timeoutMs: hook.webhook.timeout_s * 1000,
        idempotencyKey: `${approval.run_id}/${hook.id}/${stepId}/${approval.seq}`,
        body,
      })
        .then((res) => res.body?.cancel())
        .catch((err: unknown) => console.error(`run ${approval.run_id}: approval webhook "${hook.id}" failed`, err)),
    );
  }
}

function agentStep(ctx: RunContext, stepId: string): CompiledAgentStep | null {
  const step = ctx.state.workflow.pipeline.find((s) => s.id === stepId);
  return step?.type === "agent" ? step : null;
}

/**
 * Rejection (by a reviewer or a `timeout_behavior: reject` timeout): with
 * `on_reject: recover` the agent resumes and is told the call was rejected;
 * otherwise the step fails.
 */
async function reject(ctx: RunContext, step: CompiledAgentStep, state: StepState): Promise<void> {
  const approval = state.approval!;
  if (approval.on_reject === "recover") {
    const checkpoint = await ctx.state.readCheckpoint(step.id);
    const messages = [...(checkpoint?.messages ?? []), { role: "tool" as const, tool_call_id: approval.tool_use_id, content: REJECTED_TOOL_RESULT }];
    const failure = await resumeAgent(ctx, step, state, { messages });
    if (failure) ctx.failStep(step.id, `approval rejected (recover dispatch failed): ${failure}`);
    return;
  }
  ctx.failStep(step.id, `agent step failed: tool call rejected by reviewer: ${approval.tool_name}`);
}

/**
 * `POST /runs/{run}/steps/{step}/approval/decide`. An approved tool call resumes
 * the agent; when that resume cannot be dispatched, the step fails (it is never
 * left waiting on an approval that was already decided).
 */
export async function decideApproval(ctx: RunContext, stepId: string, decision: Decision): Promise<DecisionResult> {
  if (decision !== "approved" && decision !== "rejected") return { status: 400, message: 'decision must be "approved" or "rejected"' };
  const state = ctx.state.stepStates().get(stepId);
  const approval = state?.approval;
  if (!state || !approval) return { status: 404, message: "approval not found" };
  if (approval.status !== "pending") return { status: 409, message: "approval already decided" };

  ctx.state.putApproval(state, { ...approval, status: decision, decided_at: now() });
  ctx.event("approval_decided", stepId, { decision, tool_name: approval.tool_name });

  if (approval.kind === "needs_human") {
    if (decision === "approved") ctx.resumeAfterHuman(stepId);
    else ctx.failStep(stepId, "needs_human_review: rejected by reviewer");
    return { status: 200 };
  }
  const step = agentStep(ctx, stepId);
  if (!step) return { status: 404, message: "approval not found" };
  if (decision === "rejected") {
    await reject(ctx, step, state);
    return { status: 200 };
  }
  const checkpoint = await ctx.state.readCheckpoint(stepId);
  const failure = await resumeAgent(ctx, step, state, { messages: checkpoint?.messages ?? [], approved_tool_calls: [approval.tool_use_id] });
  if (failure) {
    ctx.failStep(stepId, `failed to dispatch resume: ${failure}`);
    return { status: 500, message: "failed to dispatch resume" };
  }
  return { status: 200 };
}

/** An approval's timeout passed while still pending: it is rejected or fails the step, per `timeout_behavior`. */
export async function expireApproval(ctx: RunContext, stepId: string): Promise<void> {
  const state = ctx.state.stepStates().get(stepId);
  const approval = state?.approval;
  const step = agentStep(ctx, stepId);
  if (!state || !approval || approval.status !== "pending" || !step) return;
  ctx.state.putApproval(state, { ...approval, status: "timeout", decided_at: now() });
  ctx.event("approval_timed_out", stepId, { tool_name: approval.tool_name });
  if (approval.timeout_behavior === "reject") await reject(ctx, step, state);
  else ctx.failStep(stepId, `agent step failed: approval timed out: ${approval.tool_name}`);
}
