// Turns a validated project into the bundle: defaults applied, references
// replaced by bundle keys, schemas paired with validator keys. Called only when
// validation found no errors, so it trusts the data it reads.

import type {
  AgentFile,
  ApprovalRule,
  CompiledAgent,
  CompiledGateway,
  CompiledModelGroup,
  CompiledParams,
  CompiledProvider,
  CompiledServer,
  CompiledStep,
  CompiledWorkflow,
  EnvDeclaration,
  EnvVarConfig,
  GatewayFile,
  JsonSchema,
  PricingConfig,
  ProjectBundle,
  SchemaRef,
  ServerFile,
  StepConfig,
  WorkflowFile,
} from "../config/types.ts";
import { BUNDLE_FORMAT } from "../config/types.ts";
import { setOwn } from "../expr/json.ts";
import { stepDependencies } from "./dag.ts";
import { isBroken } from "./decode.ts";
import type { FieldPath } from "./diagnostics.ts";
import { parseGoDuration } from "./durations.ts";
import type { LoadedFile, Project, StepLinks } from "./load-project.ts";
import { basename } from "./paths.ts";
import { paramSpecs, requiredNames, serverParamSpecs } from "./params.ts";
import { invokeName } from "./resolve.ts";
import { neuronPrice } from "../pricing/prices.ts";
import { parsed, stepType, steps } from "./rules/common.ts";
import { validatorKey } from "./rules/schemas.ts";

export interface NormalizedProject {
  bundle: ProjectBundle;
  /** Validator key → schema, for the bundle emitter. */
  schemas: Record<string, JsonSchema>;
}

export function normalizeProject(project: Project): NormalizedProject {
  const schemas: Record<string, JsonSchema> = {};
  const schemaRef = (file: LoadedFile<unknown>, path: FieldPath, schema: JsonSchema | undefined): SchemaRef | null => {
    if (schema === undefined) return null;
    const key = validatorKey(file, path);
    schemas[key] = schema;
    return { schema, validator: key };
  };

  const workflowKey = (path: string): string => {
    const file = project.workflows.get(path);
    if (!file) throw new Error(`normalize: workflow ${path} was not loaded`);
    return project.invokeNames.get(path) ?? file.display;
  };
  const fileKey = (files: Map<string, LoadedFile<unknown>>, path: string | undefined): string => {
    const file = path === undefined ? undefined : files.get(path);
    if (!file) throw new Error(`normalize: unresolved reference ${path ?? "(none)"}`);
    return file.display;
  };

  const params = (file: LoadedFile<unknown>, schema: JsonSchema | undefined): CompiledParams => ({
    declared: paramSpecs(schema),
    required: requiredNames(schema),
    schema: schemaRef(file, ["params", "schema"], schema),
  });

  const bundle: ProjectBundle = { format: BUNDLE_FORMAT, workflows: {}, agents: {}, servers: {}, gateway: null };

  for (const file of parsed(project.servers.values())) {
    bundle.servers[file.display] = compileServer(file.display, file.data);
  }

  for (const file of parsed(project.agents.values())) {
    const links = project.serverLinks.get(file.path) ?? [];
    const output = schemaRef(file, ["output", "schema"], file.data.output?.schema);
    if (!output) throw new Error(`normalize: agent ${file.display} has no output schema`);
    bundle.agents[file.display] = compileAgent(file, params(file, file.data.params?.schema), output, (i) =>
      fileKey(project.servers as Map<string, LoadedFile<unknown>>, links[i]),
    );
  }

  for (const file of parsed(project.workflows.values())) {
    // A workspace's workflow whose name an earlier workspace has is left out
    // unless some step runs it by path.
    if (project.entryWorkflows.has(file.path) && !project.invokeNames.has(file.path) && !project.usedAsSubWorkflow.has(file.path)) continue;
    const wf = file.data;
    const key = workflowKey(file.path);
    const links = project.stepLinks.get(file.path) ?? [];
    const context: StepContext = {
      link: (index) => links[index] ?? {},
      agentKey: (path) => fileKey(project.agents as Map<string, LoadedFile<unknown>>, path),
      agent: (path) => (path === undefined ? undefined : project.agents.get(path)?.data),
      workflowKey,
      workflow: (path) => (path === undefined ? undefined : project.workflows.get(path)?.data),
      outputRef: (path, schema) => schemaRef(file, [...path, "output", "schema"], schema),
    };

    const compiled: CompiledWorkflow = {
      key,
      invoke_name: project.invokeNames.get(file.path) ?? null,
      path: file.display,
      name: wf.name ?? invokeName(file.path),
      ...(wf.version !== undefined ? { version: wf.version } : {}),
      ...(wf.description !== undefined ? { description: wf.description } : {}),
      visibility: wf.visibility === "sub-workflow" ? "sub-workflow" : "root",
      webhooks: wf.webhooks === "execute" ? "execute" : "suppress",
      env: envDeclarations(wf.env),
      params: params(file, wf.params?.schema),
      pipeline: steps(wf).map(({ step, index, path }) => compileStep(step, index, path, context)),
      output: {
        schema: schemaRef(file, ["output", "schema"], wf.output?.schema),
        map: wf.output?.map ?? null,
        ...(wf.output?.from !== undefined ? { from: wf.output.from } : {}),
      },
      model_policy: {
        timeout_s: wf.model_policy?.timeout_s ?? 0,
        cost_budget_usd: wf.model_policy?.cost_budget_usd ?? 0,
        ...(wf.model_policy?.force_group !== undefined ? { force_group: wf.model_policy.force_group } : {}),
        ...(wf.model_policy?.group_map !== undefined ? { group_map: wf.model_policy.group_map } : {}),
      },
      invoke_auth: null,
    };
    const auth = wf.invoke?.auth;
    if (auth) {
      compiled.invoke_auth = {
        header: auth.header || "Authorization",
        scheme: auth.scheme === "raw" ? "raw" : "bearer",
        secret: auth.secret ?? "",
      };
    }
    bundle.workflows[key] = compiled;
  }

  if (project.gateway?.data) bundle.gateway = compileGateway(project.gateway.display, project.gateway.data);
  return { bundle, schemas };
}

interface StepContext {
  link(index: number): StepLinks;
  agentKey(path: string | undefined): string;
  agent(path: string | undefined): AgentFile | undefined;
  workflowKey(path: string): string;
  workflow(path: string | undefined): WorkflowFile | undefined;
  outputRef(stepPath: FieldPath, schema: JsonSchema | undefined): SchemaRef | null;
}

function compileStep(step: StepConfig, index: number, path: FieldPath, context: StepContext): CompiledStep {
  const base = {
    id: step.id ?? "",
    depends_on: step.depends_on ?? [],
    dependencies: stepDependencies(step),
    output: context.outputRef(path, step.output?.schema),
    ...(step.condition !== undefined ? { condition: step.condition } : {}),
  };
  const link = context.link(index);

  switch (stepType(step)) {
    case "workflow": {
      const target = link.workflow as string;
      const stepWebhooks = step.webhooks === "execute" ? "execute" : "suppress";
      return {
        ...base,
        type: "workflow",
        workflow: context.workflowKey(target),
        workflow_ref: step.workflow ?? "",
        params: step.params ?? {},
        input: (step.input ?? {}) as Record<string, string>,
        webhooks: stepWebhooks,
        webhooks_enabled: stepWebhooks === "execute" && context.workflow(target)?.webhooks === "execute",
      };
    }
    case "transform":
      return {
        ...base,
        type: "transform",
        transform: {
          inputs: (step.transform?.inputs ?? []).map((input) => ({ from: input.from ?? "" })),
          ops: step.transform?.ops ?? [],
        },
      };
    case "webhook": {
      const webhook = step.webhook ?? {};
      return {
        ...base,
        type: "webhook",
        webhook: {
          url: webhook.url ?? "",
          method: (webhook.method ?? "POST").toUpperCase(),
          body: webhook.body ?? {},
          timeout_s: webhook.timeout_s ?? 30,
        },
        ...(step.on === "approval" ? { on: "approval" as const } : {}),
      };
    }
    default: {
      const agent = context.agent(link.agent);
      return {
        ...base,
        type: "agent",
        agent: context.agentKey(link.agent),
        agent_ref: step.agent ?? "",
        params: step.params ?? {},
        ...(step.for_each
          ? {
              for_each: {
                from: step.for_each.from ?? "",
                max_items: step.for_each.max_items ?? 0,
                concurrency: step.for_each.concurrency ?? 0,
                max_failures: step.for_each.max_failures ?? 0,
              },
            }
          : {}),
        confidence_threshold: step.confidence_threshold ?? 0,
        model: {
          group: step.model?.group || agent?.model || "",
          max_tokens: step.model?.max_tokens ?? 1024,
        },
      };
    }
  }
}

function compileAgent(
  file: LoadedFile<AgentFile> & { data: AgentFile },
  params: CompiledParams,
  output: SchemaRef,
  serverKey: (index: number) => string,
): CompiledAgent {
  const agent = file.data;
  const compiled: CompiledAgent = {
    path: file.display,
    name: agent.name ?? basename(file.path).replace(/\.agent\.yaml$/, ""),
    ...(agent.description !== undefined ? { description: agent.description } : {}),
    model: agent.model ?? "",
    max_turns: agent.max_turns !== undefined && agent.max_turns > 0 ? agent.max_turns : 10,
    params,
    prompt: {
      system: agent.prompt?.system ?? "",
      user: agent.prompt?.user ?? "",
      reflect: agent.prompt?.reflect ?? "",
    },
    servers: [],
    output,
  };

  agent.servers?.forEach((entry, i) => {
    if (isBroken(entry)) return;
    const allowlist: string[] = [];
    const approvalRules: ApprovalRule[] = [];
    for (const item of entry.access?.allowlist ?? []) {
      if (typeof item === "string") {
        allowlist.push(item);
        continue;
      }
      if (isBroken(item) || item.name === undefined) continue;
      allowlist.push(item.name);
      const policy = item.require_approval;
      if (policy) {
        approvalRules.push({
          pattern: item.name,
          on_reject: policy.on_reject === "recover" ? "recover" : "fail",
          timeout_ms: policy.timeout === undefined ? 0 : (parseGoDuration(policy.timeout) ?? 0),
          timeout_behavior: policy.timeout_behavior === "reject" ? "reject" : "fail",
        });
      }
    }
    const serverParams: Record<string, string> = {};
    for (const [name, value] of Object.entries(entry.params ?? {})) {
      if (value !== null && value !== undefined) setOwn(serverParams, name, String(value));
    }
    compiled.servers.push({
      name: entry.name ?? "",
      server: serverKey(i),
      params: serverParams,
      allowlist,
      approval_rules: approvalRules,
      ...(entry.persistent_id ? { persistent_id: entry.persistent_id } : {}),
    });
  });
  return compiled;
}

function compileServer(path: string, server: ServerFile): CompiledServer {
  const compiled: CompiledServer = {
    path,
    name: server.name ?? "",
    ...(server.description !== undefined ? { description: server.description } : {}),
    url: server.url ?? "",
    auth: server.auth ? { header: server.auth.header || "Authorization", scheme: server.auth.scheme ?? "", secret: server.auth.secret ?? "" } : null,
    params: serverParamSpecs(server.params),
  };
  return compiled;
}

function compileGateway(path: string, gateway: GatewayFile): CompiledGateway {
  return {
    path,
    env: envDeclarations(gateway.env),
    providers: (gateway.providers ?? []).filter((p) => !isBroken(p)).map((p) => ({ name: p.name ?? "", type: providerType(p.type), config: p.config ?? {} })),
    model_groups: (gateway.model_groups ?? [])
      .filter((g) => !isBroken(g))
      .map((g) => ({
        name: g.name ?? "",
        models: g.models ?? [],
        strategy: g.strategy === "cost_optimized" || g.strategy === "fallback" ? g.strategy : "round_robin",
        default_temperature: g.default_temperature ?? 0,
        pricing: (g.pricing ?? []).filter((p) => !isBroken(p)).map(compilePrice),
      })),
  };
}

function providerType(type: string | undefined): CompiledProvider["type"] {
  return type === "anthropic" || type === "workers_ai" ? type : "openai";
}

/** A pricing entry in USD; a Workers AI entry given in neurons is converted at the neuron price. */
function compilePrice(p: PricingConfig): CompiledModelGroup["pricing"][number] {
  const neurons = p.input_neurons_per_million !== undefined || p.output_neurons_per_million !== undefined;
  const usd = neurons
    ? neuronPrice(p.input_neurons_per_million ?? 0, p.output_neurons_per_million ?? 0)
    : { input_per_million: p.input_per_million ?? 0, output_per_million: p.output_per_million ?? 0 };
  return {
    model: p.model ?? "",
    ...usd,
    ...(p.cache_read_per_million !== undefined ? { cache_read_per_million: p.cache_read_per_million } : {}),
    ...(p.cache_write_per_million !== undefined ? { cache_write_per_million: p.cache_write_per_million } : {}),
    ...(neurons ? { input_neurons_per_million: p.input_neurons_per_million ?? 0, output_neurons_per_million: p.output_neurons_per_million ?? 0 } : {}),
  };
}

function envDeclarations(env: readonly EnvVarConfig[] | undefined): EnvDeclaration[] {
  return (env ?? [])
    .filter((e) => !isBroken(e) && e.name !== undefined)
    .map((e) => {
      const decl: EnvDeclaration = { name: e.name as string, secret: e.secret === true };
      if (e.default !== undefined) decl.default = e.default;
      if (e.description !== undefined) decl.description = e.description;
      return decl;
    });
}
