import { project, validators } from "ktsu-project";
import { bundleEntry, type CompiledWorkflow } from "../../../../shared/bundle.ts";
import { runValidator } from "../../../../shared/schema/validate.ts";
import { MAX_DEPTH, nestedDeeperThan } from "../engine/limits.ts";
import { type RunTrace, runTraceFrom } from "../../../../shared/otel/trace-context.ts";
import type { StartRun } from "./model.ts";

/** Why a run was not admitted; `status` is the HTTP status the API answers with. */
export interface Refusal {
  status: 400 | 401 | 404 | 422 | 500;
  error: string;
  message: string;
  field?: string;
}

const rootWorkflows = new Map<string, CompiledWorkflow>();
for (const workflow of Object.values(project.workflows)) {
  if (workflow.invoke_name !== null) rootWorkflows.set(workflow.invoke_name, workflow);
}

/**
 * An invocable workflow: known, and not `visibility: sub-workflow` (404 either way, so a
 * caller cannot tell a hidden sub-workflow from a missing one).
 */
export function findInvocable(name: string): CompiledWorkflow | Refusal {
  const workflow = rootWorkflows.get(name);
  if (!workflow || workflow.visibility === "sub-workflow") {
    return { status: 404, error: "not_found", message: `workflow not found: ${name}` };
  }
  return workflow;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && "status" in value && "error" in value;
}

/**
 * Invoke-time params checks: every `required` name present (the original's 422
 * text), then the full `params.schema` (types, enums, nested) with the
 * precompiled validator. Nothing is created when this refuses.
 */
export function checkParams(workflow: CompiledWorkflow, params: Record<string, unknown>): Refusal | null {
  // Deeper values overflow the stack when the run's Durable Object stores them (a 500, found by test/reliability).
  if (nestedDeeperThan(params, MAX_DEPTH)) {
    return { status: 422, error: "invalid_input", message: `input nests deeper than ${MAX_DEPTH} levels` };
  }
  for (const name of workflow.params.required) {
    if (!Object.hasOwn(params, name)) {
      return { status: 422, error: "invalid_input", message: `input missing required field "${name}"`, field: name };
    }
  }
  const schema = workflow.params.schema;
  if (!schema) return null;
  const validator = bundleEntry(validators, schema.validator);
  if (!validator) return { status: 500, error: "internal_error", message: `bundle has no validator "${schema.validator}"` };
  const [failure] = runValidator(validator, params);
  if (!failure) return null;
  const field = failure.path.replace(/^\//, "");
  return { status: 422, error: "invalid_input", message: `input field "${field || "(root)"}" ${failure.message}`, field };
}

/** `run_` + 16 lowercase hex characters (8 random bytes), as the original. */
export function newRunId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `run_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The StartRun of a root run. */
export function rootRun(
  workflow: CompiledWorkflow,
  runId: string,
  params: Record<string, unknown>,
  extra: { metadata?: Record<string, string>; idempotency_key?: string; trace?: RunTrace } = {},
): StartRun {
  const secretParams = workflow.params.declared
    .filter((p) => p.secret)
    .map((p) => (Object.hasOwn(params, p.name) ? params[p.name] : undefined))
    .filter((v): v is string => typeof v === "string" && v !== "");
  return {
    run_id: runId,
    workflow_key: workflow.key,
    workflow_name: workflow.invoke_name ?? workflow.name,
    params,
    payload: params,
    root_run_id: runId,
    env_enabled: true,
    webhooks_enabled: true,
    timeout_s: workflow.model_policy.timeout_s,
    cost_budget_usd: workflow.model_policy.cost_budget_usd,
    secret_params: secretParams,
    // Without a caller's context the run starts a trace of its own.
    trace: extra.trace ?? runTraceFrom(null),
    ...(extra.metadata ? { metadata: extra.metadata } : {}),
    ...(extra.idempotency_key ? { idempotency_key: extra.idempotency_key } : {}),
  };
}
