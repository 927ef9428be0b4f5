// The normalized shapes that `ktsu build` puts into the bundle: defaults applied,
// references resolved to bundle keys, and every JSON Schema paired with the key of
// its precompiled validator. Field names keep the YAML spelling so the two layers
// read alike. Runtime-neutral: imported by the CLI and by the Workers.

import type { JsonSchema } from "./yaml-types.ts";

export const BUNDLE_FORMAT = "ktsu-bundle/1";

export interface ProjectBundle {
  format: typeof BUNDLE_FORMAT;
  /**
   * Workflows. Files in a workflow dir (the project's, then each extra
   * workspace's) are keyed by invoke name (file name minus `.workflow.yaml`;
   * a name belongs to the first workspace that has it); other workflows are
   * keyed by their project-relative path (which always contains a `/`, so the
   * two key spaces cannot collide). Workflow steps refer to this key.
   */
  workflows: Record<string, CompiledWorkflow>;
  /** Agents keyed by project-relative path (a workspace's start with `../` when it lies outside the project). */
  agents: Record<string, CompiledAgent>;
  /** Tool servers keyed by project-relative path. */
  servers: Record<string, CompiledServer>;
  /** gateway.yaml of the project, `{{ env.X }}` left unresolved; null when absent. */
  gateway: CompiledGateway | null;
}

export interface EnvDeclaration {
  name: string;
  secret: boolean;
  default?: string;
  description?: string;
}

/**
 * A param declared in a `params.schema`. Only `properties`, `required` and each
 * property's `description`, string `default` and `secret` are read; `type`,
 * `enum` and other constraints are ignored (as the original did).
 */
export interface ParamSpec {
  name: string;
  /** In `required` and without a string default (server params: no default). */
  required: boolean;
  /**
   * The string default. Optional workflow/agent params without one default to
   * `""`; server params without one are required.
   */
  default?: string;
  secret: boolean;
  description?: string;
}

/** A JSON Schema and the key of its precompiled validator in `validators`. */
export interface SchemaRef {
  schema: JsonSchema;
  validator: string;
}

export interface CompiledWorkflow {
  /** Key in `ProjectBundle.workflows`. */
  key: string;
  /** Name for `POST /invoke/{name}`; null for files outside the workflow dir. */
  invoke_name: string | null;
  /** Project-relative file path. */
  path: string;
  /** YAML `name`, or the invoke name / file name when absent. */
  name: string;
  version?: string;
  description?: string;
  visibility: "root" | "sub-workflow";
  webhooks: "execute" | "suppress";
  env: EnvDeclaration[];
  params: CompiledParams;
  pipeline: CompiledStep[];
  output: CompiledWorkflowOutput;
  model_policy: CompiledModelPolicy;
  invoke_auth: CompiledInvokeAuth | null;
}

export interface CompiledParams {
  /** Declared properties, in schema order. */
  declared: ParamSpec[];
  /** `params.schema.required` as written (the invoke-time 422 check). */
  required: string[];
  /** Null when the workflow/agent has no `params.schema`. */
  schema: SchemaRef | null;
}

export interface CompiledWorkflowOutput {
  schema: SchemaRef | null;
  /** `output.map` (used when the workflow runs as a sub-workflow). */
  map: Record<string, unknown> | null;
  from?: string;
}

export interface CompiledModelPolicy {
  timeout_s: number;
  cost_budget_usd: number;
  force_group?: string;
  group_map?: Record<string, string>;
}

export interface CompiledInvokeAuth {
  header: string;
  scheme: "bearer" | "raw";
  secret: string;
}

export type StepType = "agent" | "transform" | "webhook" | "workflow";

interface CompiledStepBase {
  id: string;
  /** `depends_on` as declared. */
  depends_on: string[];
  /** The DAG edges: `depends_on` plus implicit `step.X` references, deduplicated. */
  dependencies: string[];
  condition?: string;
  /** Step-level `output.schema` (the Air-Lock schema); null when absent. */
  output: SchemaRef | null;
}

export interface CompiledAgentStep extends CompiledStepBase {
  type: "agent";
  /** Key in `ProjectBundle.agents`. */
  agent: string;
  /** The ref as written, e.g. `agents/x.agent.yaml@1.0.0`. */
  agent_ref: string;
  params: Record<string, unknown>;
  for_each?: CompiledForEach;
  confidence_threshold: number;
  /** Step `model.group` or the agent's `model`; `max_tokens` defaults to 1024. */
  model: { group: string; max_tokens: number };
}

export interface CompiledForEach {
  from: string;
  max_items: number;
  concurrency: number;
  max_failures: number;
}

export interface CompiledTransformStep extends CompiledStepBase {
  type: "transform";
  transform: {
    inputs: { from: string }[];
    /** Validated one-key maps `{ merge|filter|map|sort|flatten|deduplicate: args }`. */
    ops: Record<string, unknown>[];
  };
}

export interface CompiledWebhookStep extends CompiledStepBase {
  type: "webhook";
  webhook: {
    url: string;
    method: string;
    body: Record<string, unknown>;
    timeout_s: number;
  };
  on?: "approval";
}

export interface CompiledWorkflowStep extends CompiledStepBase {
  type: "workflow";
  /** Key in `ProjectBundle.workflows`. */
  workflow: string;
  /** The ref as written, e.g. `./sub.workflow.yaml`. */
  workflow_ref: string;
  params: Record<string, unknown>;
  input: Record<string, string>;
  /** The step's own opt-in. */
  webhooks: "execute" | "suppress";
  /**
   * Webhooks inside the sub-workflow run only when both the step and the
   * sub-workflow say `webhooks: execute`; otherwise they are recorded as skipped.
   */
  webhooks_enabled: boolean;
}

export type CompiledStep = CompiledAgentStep | CompiledTransformStep | CompiledWebhookStep | CompiledWorkflowStep;

export interface CompiledAgent {
  /** Project-relative path (its key in `ProjectBundle.agents`). */
  path: string;
  name: string;
  description?: string;
  /** Model group name; "" when the agent sets none. */
  model: string;
  max_turns: number;
  params: CompiledParams;
  prompt: { system: string; user: string; reflect: string };
  servers: CompiledAgentServer[];
  output: SchemaRef;
}

export interface CompiledAgentServer {
  /** `servers[].name` in the agent file. */
  name: string;
  /** Key in `ProjectBundle.servers`. */
  server: string;
  params: Record<string, string>;
  /** Entry names: exact, `prefix*` or `*`. Empty means no tools. */
  allowlist: string[];
  approval_rules: ApprovalRule[];
  /** Sent to the server as `persistentId` (stateful servers such as kv keep a namespace per id). */
  persistent_id?: string;
}

export interface ApprovalRule {
  pattern: string;
  on_reject: "fail" | "recover";
  /** 0 = no timeout. */
  timeout_ms: number;
  timeout_behavior: "fail" | "reject";
}

export interface CompiledServer {
  path: string;
  name: string;
  description?: string;
  url: string;
  auth: { header: string; scheme: string; secret: string } | null;
  /** Declared server params; those without a default are required. */
  params: ParamSpec[];
}

export interface CompiledGateway {
  path: string;
  env: EnvDeclaration[];
  providers: CompiledProvider[];
  model_groups: CompiledModelGroup[];
}

export interface CompiledProvider {
  name: string;
  type: "anthropic" | "openai" | "workers_ai";
  /** Values may contain `{{ env.X }}`, resolved by the gateway at runtime. */
  config: Record<string, string>;
}

export interface CompiledModelGroup {
  name: string;
  models: string[];
  strategy: "round_robin" | "cost_optimized" | "fallback";
  default_temperature: number;
  pricing: {
    model: string;
    input_per_million: number;
    output_per_million: number;
    cache_read_per_million?: number;
    cache_write_per_million?: number;
    /** Workers AI: the model's neuron rates the USD prices above were computed from. */
    input_neurons_per_million?: number;
    output_neurons_per_million?: number;
  }[];
}
