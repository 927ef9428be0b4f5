import { bundleEntry, type CompiledAgent, type CompiledAgentStep, type ParamSpec, type ProjectBundle } from "../../../../shared/bundle.ts";
import type { InvokeRequest, ToolServerSpec } from "../../../../shared/contracts/runtime.ts";
import { stringForm, type JsonObject } from "../../../../shared/expr/index.ts";
import { resolveValue, VALUE_FIELDS, type ValueField } from "../../../../shared/values/index.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";

/** The declared env of a root run; null where env is not available (sub-runs). */
export type RunEnv = Readonly<Record<string, string>> | null;

/** A dispatch-time check failed; the message becomes the step error. */
export class DispatchError extends Error {}

/** Resolves a value source of an agent or server file (a param default, a server param) to its string form. */
function resolveString(text: string, scope: { env: RunEnv; params?: JsonObject }, field: ValueField, describe: string): string | null {
  const outcome = resolveValue(text, scope, field);
  if (!outcome.ok) throw new DispatchError(`${describe}${outcome.error.message}`, { cause: outcome.error });
  return outcome.value === null ? null : stringForm(outcome.value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * The agent's declared params from the step's (already resolved) values; undeclared
 * step params are ignored. A secret param must get its value from a secret source (a
 * secret env var or a secret workflow param: `fromSecret`), the chain `ktsu validate`
 * checks, so a secret never comes from text written in the YAML.
 */
export function resolveAgentParams(
  declared: ParamSpec[],
  stepParams: Record<string, unknown>,
  env: RunEnv,
  fromSecret: ReadonlySet<string> = new Set(),
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const param of declared) {
    const name = param.name;
    if (Object.hasOwn(stepParams, name) && name !== "server") {
      const value = stepParams[name];
      if (typeof value !== "string") throw new DispatchError(`agent param "${name}": value must be a string, got ${typeName(value)}`);
      if (param.secret && !fromSecret.has(name)) {
        throw new DispatchError(
          `agent param "${name}" is secret and must come from a secret env var ({{ env.NAME }}) or a secret workflow param ({{ params.NAME }})`,
        );
      }
      resolved[name] = value;
      continue;
    }
    if (param.default !== undefined) {
      const value = resolveString(param.default, { env }, VALUE_FIELDS.paramDefault, `agent param "${name}" default: `);
      if (value !== null) resolved[name] = value;
      continue;
    }
    if (param.required) throw new DispatchError(`required agent param "${name}" has no value`);
  }
  return resolved;
}

const PLACEHOLDER = /\{\{([^}]+)\}\}/g;

/** `InterpolatePrompt`: only `{{ params.KEY }}`; every occurrence is replaced. */
export function interpolatePrompt(template: string, params: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, inner: string) => {
    const expr = inner.trim();
    if (!expr.startsWith("params.")) throw new DispatchError(`unsupported template namespace "${whole}" — only {{ params.KEY }} is supported`);
    const key = expr.slice("params.".length);
    if (!Object.hasOwn(params, key)) throw new DispatchError(`prompt references param "${key}" which has no resolved value`);
    return params[key]!;
  });
}

function resolveServerParams(declared: ParamSpec[], given: Record<string, string>, agentParams: Record<string, string>, env: RunEnv): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const param of declared) {
    const name = param.name;
    const value = given[name];
    if (value !== undefined) {
      const found = resolveString(value, { env, params: agentParams }, VALUE_FIELDS.serverParam, `server param "${name}": `);
      if (found === null) throw new DispatchError(`server param "${name}": "${value}" resolved to nothing (is the agent param set?)`);
      resolved[name] = found;
      continue;
    }
    if (param.default !== undefined) {
      const found = resolveString(param.default, { env }, VALUE_FIELDS.paramDefault, `server param "${name}" default: `);
      if (found !== null) resolved[name] = found;
      continue;
    }
    throw new DispatchError(`required server param "${name}" has no value`);
  }
  return resolved;
}

/**
 * A server's `persistent_id` with its templates resolved against the agent's params
 * (after defaults: the names its prompts read). It must come out non-empty: the server
 * would otherwise use its shared default namespace, mixing what the id keeps apart
 * (one kv store per chat). It travels in the server's URL, so a secret param may not feed it.
 */
function persistentId(server: string, text: string, agentParams: Record<string, string>, secretParams: ReadonlySet<string>): string {
  const outcome = resolveValue(text, { env: null, params: agentParams, secrets: { params: secretParams } }, VALUE_FIELDS.persistentId);
  const field = `server "${server}" persistent_id`;
  if (!outcome.ok) throw new DispatchError(`${field}: ${outcome.error.message}`, { cause: outcome.error });
  if (outcome.secret) throw new DispatchError(`${field}: "${text}" reads a secret param; the id is sent in the server's URL`);
  const value = outcome.value === null ? "" : stringForm(outcome.value);
  if (value === "") throw new DispatchError(`${field}: "${text}" resolved to an empty value (is the agent param set?)`);
  return value;
}

function toolServers(project: ProjectBundle, agent: CompiledAgent, agentParams: Record<string, string>, env: RunEnv): ToolServerSpec[] {
  const secretParams = new Set(agent.params.declared.filter((p) => p.secret).map((p) => p.name));
  return agent.servers.map((ref) => {
    const server = bundleEntry(project.servers, ref.server);
    if (!server) throw new DispatchError(`load server ${ref.server}: not in the project bundle`);
    const spec: ToolServerSpec = { name: server.name, url: server.url, allowlist: ref.allowlist };
    if (server.auth) {
      if (!server.auth.secret) throw new DispatchError(`server "${ref.name}" auth.secret is required`);
      const secret = resolveString(server.auth.secret, { env: null, params: agentParams }, VALUE_FIELDS.serverAuthSecret, `server "${ref.name}" auth.secret: `);
      if (secret === null) throw new DispatchError(`server "${ref.name}" auth.secret: "${server.auth.secret}" resolved to nothing (is the agent param set?)`);
      const scheme = server.auth.scheme.toLowerCase();
      spec.auth_header = server.auth.header || "Authorization";
      spec.auth_value = scheme === "" || scheme === "bearer" ? `Bearer ${secret}` : secret;
    }
    try {
      const params = resolveServerParams(server.params, ref.params, agentParams, env);
      if (Object.keys(params).length > 0) spec.params = params;
      const secretKeys = server.params.filter((p) => p.secret).map((p) => p.name);
      if (secretKeys.length > 0) spec.secret_keys = secretKeys;
    } catch (err) {
      throw new DispatchError(`server ${ref.name} param resolution: ${errorMessage(err)}`, { cause: err });
    }
    if (ref.approval_rules.length > 0) spec.approval_rules = ref.approval_rules;
    if (ref.persistent_id) spec.persistent_id = persistentId(ref.name, ref.persistent_id, agentParams, secretParams);
    return spec;
  });
}

/** The JSON user message when an agent has no `prompt.user`: non-secret declared params, keys sorted. */
function fallbackUserMessage(declared: ParamSpec[], params: Record<string, string>): string {
  const visible: Record<string, string> = {};
  for (const name of declared
    .filter((p) => !p.secret)
    .map((p) => p.name)
    .sort()) {
    if (Object.hasOwn(params, name)) visible[name] = params[name]!;
  }
  return JSON.stringify(visible);
}

export interface AgentDispatch {
  runId: string;
  stepId: string;
  callbackUrl: string;
  costBudgetUsd: number;
  budgetRunId: string;
  attempt: number;
  /** Step params whose value was read from a secret env var or a secret workflow param. */
  secretSourced?: ReadonlySet<string>;
}

function wrap<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new DispatchError(`${prefix}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Builds the runtime InvokeRequest for an agent step from its resolved step params,
 * applying the dispatch-time checks (declared params, the secret chain, server params)
 * with the original's error texts.
 */
export function buildInvokeRequest(
  project: ProjectBundle,
  step: CompiledAgentStep,
  stepParams: Record<string, unknown>,
  env: RunEnv,
  dispatch: AgentDispatch,
): InvokeRequest {
  const agent = bundleEntry(project.agents, step.agent);
  if (!agent) throw new DispatchError(`load agent ${step.agent_ref}: not in the project bundle`);
  const params = wrap(`agent ${agent.name} param resolution`, () => resolveAgentParams(agent.params.declared, stepParams, env, dispatch.secretSourced));
  const userMessage = wrap(`agent ${agent.name} prompt.user interpolation`, () =>
    agent.prompt.user ? interpolatePrompt(agent.prompt.user, params) : fallbackUserMessage(agent.params.declared, params),
  );
  const reflect = wrap(`agent ${agent.name} reflect interpolation`, () => (agent.prompt.reflect ? interpolatePrompt(agent.prompt.reflect, params) : ""));

  const request: InvokeRequest = {
    run_id: dispatch.runId,
    step_id: dispatch.stepId,
    agent_name: agent.name,
    system: agent.prompt.system,
    user_message: userMessage,
    max_turns: agent.max_turns > 0 ? agent.max_turns : 10,
    model: step.model,
    tool_servers: toolServers(project, agent, params, env),
    callback_url: dispatch.callbackUrl,
    output_schema: agent.output.schema,
    attempt: dispatch.attempt,
    budget_run_id: dispatch.budgetRunId,
  };
  if (reflect) request.reflect = reflect;
  if (step.confidence_threshold > 0) request.confidence_threshold = step.confidence_threshold;
  if (dispatch.costBudgetUsd > 0) request.cost_budget_usd = dispatch.costBudgetUsd;
  return request;
}
