import type { CompiledAgentStep } from "../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../shared/contracts/metrics.ts";
import type { CallbackPayload } from "../../../../shared/contracts/runtime.ts";
import { jsonBytes, MAX_CHECKPOINT_BYTES } from "../engine/limits.ts";
import type { StepState } from "./model.ts";
import type { RunDO } from "./run-do.ts";
import type { StepRunner } from "./step-runner.ts";

export type Decision = "approved" | "rejected";

export interface DecisionResult {
  status: 200 | 400 | 404 | 409 | 500;
  message?: string;
}

/** The tool result a rejected call gets when the agent may recover (spec §11.3). */
export const REJECTED_TOOL_RESULT = "Tool call rejected by human reviewer. Please find an alternative approach.";

const now = () => new Date().toISOString();

/**
 * The runtime suspended a step at an approval-gated tool (spec §11.2). The step
 * keeps its conversation as a checkpoint in the run's storage and costs no
 * running Worker until a decision re-dispatches it.
 */
export async function openApproval(run: RunDO, step: CompiledAgentStep, state: StepState, payload: CallbackPayload, metrics: StepMetrics): Promise<void> {
  const pending = payload.pending_approval;
  if (!pending) {
    run.settle(step, { kind: "failed", error: "agent step failed: pending_approval without the pending call", metrics });
    return;
  }
  const messages = payload.messages ?? [];
  if (jsonBytes(messages) > MAX_CHECKPOINT_BYTES) {
    run.settle(step, {
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
  await run.writeCheckpoint(step.id, { attempt: state.attempt, turn: state.checkpoint_turn ?? 0, messages });
  run.putApproval(state, {
    run_id: run.run.run_id,
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
  run.event("approval_pending", step.id, { tool_name: pending.tool_name, arguments: pending.arguments });
  notifyApprovalWebhooks(run, step.id, state);
}

/**
 * `on: approval` webhook steps that depend on the step are sent when an approval
 * opens (spec §11.5). They are never ordinary DAG steps (bug B16). Failures are logged.
 */
function notifyApprovalWebhooks(run: RunDO, stepId: string, state: StepState): void {
  const approval = state.approval!;
  for (const hook of run.workflow.pipeline) {
    if (hook.type !== "webhook" || hook.on !== "approval" || !hook.depends_on.includes(stepId)) continue;
    let url = hook.webhook.url;
    if (url.startsWith("env:")) {
      const value = run.bindings[url.slice(4)];
      url = typeof value === "string" ? value : "";
    }
    if (url === "") continue;
    const body = {
      run_id: approval.run_id,
      step_id: stepId,
      tool_name: approval.tool_name,
      tool_use_id: approval.tool_use_id,
      arguments: approval.arguments ?? {},
      status: "pending",
    };
    run.keepAlive(
      run.bindings.GATEWAY.fetch("https://gateway/egress", {
        method: hook.webhook.method,
        headers: {
          "content-type": "application/json",
          "idempotency-key": `${approval.run_id}/${hook.id}/${stepId}/${approval.seq}`,
          "x-ktsu-egress-url": url,
          "x-ktsu-egress-timeout-ms": String(hook.webhook.timeout_s * 1000),
        },
        body: JSON.stringify(body),
      })
        .then((res) => res.body?.cancel())
        .catch((err: unknown) => console.error(`run ${approval.run_id}: approval webhook "${hook.id}" failed`, err)),
    );
  }
}

function agentStep(run: RunDO, stepId: string): CompiledAgentStep | null {
  const step = run.workflow.pipeline.find((s) => s.id === stepId);
  return step?.type === "agent" ? step : null;
}

/** Rejection (by a reviewer or a `timeout_behavior: reject` timeout): recover or fail (spec §11.3). */
async function reject(run: RunDO, runner: StepRunner, step: CompiledAgentStep, state: StepState): Promise<void> {
  const approval = state.approval!;
  if (approval.on_reject === "recover") {
    const checkpoint = await run.readCheckpoint(step.id);
    const messages = [...(checkpoint?.messages ?? []), { role: "tool" as const, tool_call_id: approval.tool_use_id, content: REJECTED_TOOL_RESULT }];
    const failure = await runner.resumeAgent(step, state, { messages });
    if (failure) run.failStep(step.id, `approval rejected (recover dispatch failed): ${failure}`);
    return;
  }
  run.failStep(step.id, `agent step failed: tool call rejected by reviewer: ${approval.tool_name}`);
}

/** `POST /runs/{run}/steps/{step}/approval/decide` (spec §11.3), with B15 fixed: a failed resume fails the step. */
export async function decideApproval(run: RunDO, runner: StepRunner, stepId: string, decision: Decision): Promise<DecisionResult> {
  if (decision !== "approved" && decision !== "rejected") return { status: 400, message: 'decision must be "approved" or "rejected"' };
  const state = run.stepStates().get(stepId);
  const approval = state?.approval;
  if (!state || !approval) return { status: 404, message: "approval not found" };
  if (approval.status !== "pending") return { status: 409, message: "approval already decided" };

  run.putApproval(state, { ...approval, status: decision, decided_at: now() });
  run.event("approval_decided", stepId, { decision, tool_name: approval.tool_name });

  if (approval.kind === "needs_human") {
    if (decision === "approved") run.resumeAfterHuman(stepId);
    else run.failStep(stepId, "needs_human_review: rejected by reviewer");
    return { status: 200 };
  }
  const step = agentStep(run, stepId);
  if (!step) return { status: 404, message: "approval not found" };
  if (decision === "rejected") {
    await reject(run, runner, step, state);
    return { status: 200 };
  }
  const checkpoint = await run.readCheckpoint(stepId);
  const failure = await runner.resumeAgent(step, state, { messages: checkpoint?.messages ?? [], approved_tool_calls: [approval.tool_use_id] });
  if (failure) {
    run.failStep(stepId, `failed to dispatch resume: ${failure}`);
    return { status: 500, message: "failed to dispatch resume" };
  }
  return { status: 200 };
}

/** An approval's timeout passed while still pending (spec §11.4). */
export async function expireApproval(run: RunDO, runner: StepRunner, stepId: string): Promise<void> {
  const state = run.stepStates().get(stepId);
  const approval = state?.approval;
  const step = agentStep(run, stepId);
  if (!state || !approval || approval.status !== "pending" || !step) return;
  run.putApproval(state, { ...approval, status: "timeout", decided_at: now() });
  run.event("approval_timed_out", stepId, { tool_name: approval.tool_name });
  if (approval.timeout_behavior === "reject") await reject(run, runner, step, state);
  else run.failStep(stepId, `agent step failed: approval timed out: ${approval.tool_name}`);
}
