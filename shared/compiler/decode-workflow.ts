// Reads a parsed `*.workflow.yaml` into a typed `WorkflowFile`.

import type { EnvVarConfig, ForEachConfig, StepConfig, TransformConfig, WebhookConfig, WorkflowFile } from "../config/types.ts";
import type { FieldPath } from "./diagnostics.ts";
import { brokenEntry, compact, type Decoder } from "./decode.ts";

export function decodeWorkflow(value: unknown, d: Decoder): WorkflowFile {
  const root = d.mapping(value, []) ?? {};
  const params = d.mapping(root.params, ["params"]);
  const output = d.mapping(root.output, ["output"]);
  const policy = d.mapping(root.model_policy, ["model_policy"]);
  const invoke = d.mapping(root.invoke, ["invoke"]);
  const auth = d.mapping(invoke?.auth, ["invoke", "auth"]);

  return compact<WorkflowFile>({
    kind: d.string(root.kind, ["kind"]),
    name: d.string(root.name, ["name"]),
    version: d.string(root.version, ["version"]),
    description: d.string(root.description, ["description"]),
    visibility: d.string(root.visibility, ["visibility"]),
    webhooks: d.string(root.webhooks, ["webhooks"]),
    env: decodeEnvList(root.env, ["env"], d),
    params: params && compact({ schema: d.schema(params.schema, ["params", "schema"]) }),
    pipeline: d.list(root.pipeline, ["pipeline"], (v, p) => decodeStep(v, p, d)),
    output:
      output &&
      compact({
        schema: d.schema(output.schema, ["output", "schema"]),
        map: d.mapping(output.map, ["output", "map"]),
        from: d.string(output.from, ["output", "from"]),
      }),
    model_policy:
      policy &&
      compact({
        cost_budget_usd: d.number(policy.cost_budget_usd, ["model_policy", "cost_budget_usd"]),
        force_group: d.string(policy.force_group, ["model_policy", "force_group"]),
        group_map: d.stringMap(policy.group_map, ["model_policy", "group_map"]),
        timeout_s: d.integer(policy.timeout_s, ["model_policy", "timeout_s"]),
      }),
    invoke:
      invoke &&
      compact({
        auth:
          auth &&
          compact({
            header: d.string(auth.header, ["invoke", "auth", "header"]),
            scheme: d.string(auth.scheme, ["invoke", "auth", "scheme"]),
            secret: d.string(auth.secret, ["invoke", "auth", "secret"]),
          }),
      }),
  });
}

/** `env[]` of a workflow or of gateway.yaml. */
export function decodeEnvList(value: unknown, path: FieldPath, d: Decoder): EnvVarConfig[] | undefined {
  return d.list(value, path, (entry, p) => {
    const map = d.mapping(entry, p);
    if (!map) return brokenEntry<EnvVarConfig>();
    return compact<EnvVarConfig>({
      name: d.string(map.name, [...p, "name"]),
      secret: d.boolean(map.secret, [...p, "secret"]),
      default: d.string(map.default, [...p, "default"]),
      description: d.string(map.description, [...p, "description"]),
    });
  });
}

function decodeStep(value: unknown, path: FieldPath, d: Decoder): StepConfig {
  const step = d.mapping(value, path);
  if (!step) return brokenEntry<StepConfig>();
  const at = (...rest: (string | number)[]): FieldPath => [...path, ...rest];
  const model = d.mapping(step.model, at("model"));
  const output = d.mapping(step.output, at("output"));

  return compact<StepConfig>({
    id: d.string(step.id, at("id")),
    agent: d.string(step.agent, at("agent")),
    transform: decodeTransform(step.transform, at("transform"), d),
    webhook: decodeWebhook(step.webhook, at("webhook"), d),
    workflow: d.string(step.workflow, at("workflow")),
    input: d.mapping(step.input, at("input")),
    webhooks: d.string(step.webhooks, at("webhooks")),
    params: d.mapping(step.params, at("params")),
    for_each: decodeForEach(step.for_each, at("for_each"), d),
    depends_on: d.stringList(step.depends_on, at("depends_on")),
    condition: d.string(step.condition, at("condition")),
    confidence_threshold: d.number(step.confidence_threshold, at("confidence_threshold")),
    model:
      model &&
      compact({
        group: d.string(model.group, at("model", "group")),
        max_tokens: d.integer(model.max_tokens, at("model", "max_tokens")),
      }),
    output: output && compact({ schema: d.schema(output.schema, at("output", "schema")) }),
    on: d.string(step.on, at("on")),
    consolidation: d.string(step.consolidation, at("consolidation")),
  });
}

function decodeTransform(value: unknown, path: FieldPath, d: Decoder): TransformConfig | undefined {
  const transform = d.mapping(value, path);
  if (!transform) return undefined;
  return compact<TransformConfig>({
    inputs: d.list(transform.inputs, [...path, "inputs"], (entry, p) => {
      const input = d.mapping(entry, p);
      if (!input) return brokenEntry<{ from?: string }>();
      return compact({ from: d.string(input.from, [...p, "from"]) });
    }),
    ops: d.list(transform.ops, [...path, "ops"], (entry, p) => d.mapping(entry, p) ?? brokenEntry<Record<string, unknown>>()),
  });
}

function decodeWebhook(value: unknown, path: FieldPath, d: Decoder): WebhookConfig | undefined {
  const webhook = d.mapping(value, path);
  if (!webhook) return undefined;
  return compact<WebhookConfig>({
    url: d.string(webhook.url, [...path, "url"]),
    method: d.string(webhook.method, [...path, "method"]),
    body: d.mapping(webhook.body, [...path, "body"]),
    timeout_s: d.number(webhook.timeout_s, [...path, "timeout_s"]),
  });
}

function decodeForEach(value: unknown, path: FieldPath, d: Decoder): ForEachConfig | undefined {
  const forEach = d.mapping(value, path);
  if (!forEach) return undefined;
  return compact<ForEachConfig>({
    from: d.string(forEach.from, [...path, "from"]),
    max_items: d.integer(forEach.max_items, [...path, "max_items"]),
    concurrency: d.integer(forEach.concurrency, [...path, "concurrency"]),
    max_failures: d.integer(forEach.max_failures, [...path, "max_failures"]),
  });
}
