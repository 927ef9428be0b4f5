// Workflow steps: a sub-run in its own Durable Object, started with resolved
// params and input, which reports back through `childFinished`.

import type { CompiledWorkflowStep } from "../../../../../shared/bundle.ts";
import type { StepMetrics } from "../../../../../shared/contracts/metrics.ts";
import { evaluate, goTypeName, stringForm, wholeTemplateExpression } from "../../../../../shared/expr/index.ts";
import { resolveValue, VALUE_FIELDS } from "../../../../../shared/values/index.ts";
import { DispatchError } from "../../engine/agent-request.ts";
import { sumMetrics } from "../../engine/semantics.ts";
import { MAX_OUTPUT_BYTES } from "../../engine/limits.ts";
import type { RunContext } from "../context.ts";
import { ZERO_METRICS, type ChildResult, type StepState } from "../model.ts";
import type { StepOutcome } from "../outcome.ts";
import { stepSpanId } from "../../../../../shared/otel/trace-context.ts";
import { retryDurableObjectCall } from "../../../../../shared/util/durable-object-retries.ts";
import { errorMessage } from "../../../../../shared/util/errors.ts";

/** The sub-run's id: the parent's id and the step's, so a restarted parent finds the same sub-run. */
export function subRunId(parentRunId: string, stepId: string): string {
  return `${parentRunId}/${stepId}`;
}

export async function startSubWorkflow(ctx: RunContext, step: CompiledWorkflowStep, state: StepState): Promise<StepOutcome> {
  const target = ctx.state.subWorkflow(step.workflow);
  if (!target) return { kind: "failed", error: `workflow step "${step.id}": resolve "${step.workflow_ref}": not in the project bundle` };
  let params: { rich: Record<string, unknown>; strings: Record<string, string> };
  let input: Record<string, unknown>;
  try {
    params = subWorkflowParams(ctx, step);
    for (const spec of target.params.declared) {
      if (spec.required && (params.rich[spec.name] === undefined || params.rich[spec.name] === null)) {
        throw new DispatchError(`workflow step "${step.id}": missing required param "${spec.name}" for sub-workflow "${step.workflow_ref}"`);
      }
    }
    input = subWorkflowInput(ctx, step);
  } catch (err) {
    return { kind: "failed", error: errorMessage(err) };
  }
  for (const [key, value] of Object.entries(input)) if (!Object.hasOwn(params.rich, key)) params.rich[key] = value;

  const run = ctx.state.run;
  const childId = subRunId(run.run_id, step.id);
  await ctx.commit();
  try {
    // Starting is idempotent by the sub-run's id, so a transient failure is retried.
    const start = {
      run_id: childId,
      workflow_key: step.workflow,
      workflow_name: target.name,
      params: params.rich,
      param_strings: params.strings,
      payload: input,
      parent: { run_id: run.run_id, step_id: step.id },
      root_run_id: run.root_run_id,
      env_enabled: false,
      webhooks_enabled: step.webhooks_enabled,
      timeout_s: run.timeout_s,
      cost_budget_usd: run.cost_budget_usd,
      secret_params: run.secret_params,
      pinned: ctx.state.subRunVersion(step.workflow),
      // The sub-run's span is a child of the step that runs it, in the parent's trace.
      ...(run.trace ? { trace: { trace_id: run.trace.trace_id, parent_span_id: stepSpanId(run.run_id, step.id), sampled: run.trace.sampled } } : {}),
    };
    await retryDurableObjectCall(() => ctx.childRun(childId).start(start));
  } catch (err) {
    return { kind: "failed", error: `workflow step "${step.id}": start sub-run: ${errorMessage(err)}` };
  }
  state.attempt += 1;
  ctx.state.touchStep(state);
  return { kind: "waiting" };
}

/**
 * Workflow step params, in typed (`rich`) and string forms: each is a value source
 * (a whole `{{ }}` keeps its type, templates inside text are interpolated, and the
 * legacy `env:`/`param:`/backtick forms still work). A null value leaves the key out.
 */
function subWorkflowParams(ctx: RunContext, step: CompiledWorkflowStep): { rich: Record<string, unknown>; strings: Record<string, string> } {
  const scope = ctx.scope.valueScope();
  const rich: Record<string, unknown> = {};
  const strings: Record<string, string> = {};
  for (const [key, value] of Object.entries(step.params)) {
    if (key === "agent" || key === "server") continue;
    const where = `workflow step "${step.id}" param "${key}"`;
    if (typeof value !== "string") throw new DispatchError(`${where}: value must be a string, got ${goTypeName(value)}`);
    const outcome = resolveValue(value, scope, VALUE_FIELDS.workflowStepParam);
    if (!outcome.ok) throw new DispatchError(`${where}: ${outcome.error.message}`, { cause: outcome.error });
    if (outcome.value === null) continue;
    rich[key] = outcome.value;
    strings[key] = stringForm(outcome.value);
  }
  return { rich, strings };
}

function subWorkflowInput(ctx: RunContext, step: CompiledWorkflowStep): Record<string, unknown> {
  const context = ctx.scope.context();
  const input: Record<string, unknown> = {};
  for (const [key, expr] of Object.entries(step.input)) {
    if (typeof expr !== "string") throw new DispatchError(`workflow step "${step.id}" input "${key}": must be a string JMESPath expression`);
    try {
      input[key] = evaluate(expr, context);
    } catch (err) {
      throw new DispatchError(`workflow step "${step.id}" input "${key}": JMESPath "${expr}": ${errorMessage(err)}`, { cause: err });
    }
  }
  return input;
}

/** A sub-run ended: its step completes with the sub-run's result, or fails with zeroed metrics. */
export function onChildFinished(ctx: RunContext, result: ChildResult): void {
  const step = ctx.state.workflow.pipeline.find((s) => s.id === result.step_id);
  if (step?.type !== "workflow") return;
  if (ctx.state.stepState(step.id).status !== "running") return;
  if (result.status === "failed") {
    ctx.settle(step, { kind: "failed", error: `sub-workflow "${step.workflow_ref}" failed: ${result.error}`, metrics: { ...ZERO_METRICS } });
  } else {
    ctx.settle(step, { kind: "output", output: result.output ?? {}, metrics: { ...result.metrics, duration_ms: 0 } });
  }
}

/** A sub-run's result for its parent: `output.map`, else the last completed step's output, else `{}`. */
export function subRunResult(ctx: RunContext): Record<string, unknown> {
  const workflow = ctx.state.workflow;
  if (workflow.output.map) {
    const context = ctx.scope.context({ env: false });
    const result: Record<string, unknown> = {};
    for (const [key, expr] of Object.entries(workflow.output.map)) {
      if (typeof expr !== "string") continue;
      try {
        const stripped = wholeTemplateExpression(expr) ?? expr;
        const value = evaluate(stripped, context);
        if (value !== null) result[key] = value;
      } catch {
        // A mapping that errors is omitted, like one that gives null.
      }
    }
    return result;
  }
  // Never paged fanout results: subRunResultError fails the sub-run first.
  return lastCompleted(ctx)?.output ?? {};
}

function lastCompleted(ctx: RunContext): StepState | undefined {
  let last: StepState | undefined;
  for (const state of ctx.state.stepStates().values()) {
    if (state.status === "complete" && (!last || state.seq > last.seq)) last = state;
  }
  return last;
}

/**
 * Why a completed sub-run cannot hand its parent its result: it would carry paged fanout results
 * (its last step's, or ones `output.map` names), which are larger than the parent's workflow step
 * may keep as its output. Null when it can.
 */
export function subRunResultError(ctx: RunContext): string | null {
  const paged = [...ctx.state.stepStates().values()].filter((state) => state.paged !== undefined);
  if (paged.length === 0) return null;
  const map = ctx.state.workflow.output.map;
  const expressions = map ? Object.values(map).filter((expr): expr is string => typeof expr === "string") : null;
  const last = lastCompleted(ctx);
  const read = expressions ? paged.find((state) => expressions.some((expr) => expr.includes(state.id))) : paged.find((state) => state === last);
  if (!read) return null;
  return (
    `the sub-workflow's result would carry the results of fanout step "${read.id}", ${read.paged!.bytes} bytes; ` +
    `a workflow step's output is limited to ${MAX_OUTPUT_BYTES} bytes`
  );
}

export function totalMetrics(ctx: RunContext): StepMetrics {
  return sumMetrics([...ctx.state.stepStates().values()].map((s) => s.metrics));
}

/** After the run failed or was cancelled: the sub-runs of its cancelled workflow steps end the same way (best effort, logged). */
export async function cancelChildren(ctx: RunContext): Promise<void> {
  const run = ctx.state.run;
  if (run.status !== "failed" && run.status !== "cancelled") return;
  const status = run.status;
  const cancelled = ctx.state.workflow.pipeline.filter((s) => s.type === "workflow" && ctx.state.stepState(s.id).status === "cancelled");
  await Promise.all(
    cancelled.map((s) =>
      // Cancelling is idempotent (an ended sub-run ignores it), so a transient failure is retried.
      retryDurableObjectCall(() => ctx.childRun(subRunId(run.run_id, s.id)).cancel(`cancelled: the parent run ${run.run_id} ended (${status})`, status)).catch(
        (err: unknown) => console.error(`run ${run.run_id}: cancelling sub-run of step "${s.id}" failed`, err),
      ),
    ),
  );
}
