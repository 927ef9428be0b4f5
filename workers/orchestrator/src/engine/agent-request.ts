import type { CompiledAgent, CompiledAgentStep, ParamSpec, ProjectBundle } from "../../../../shared/bundle.ts";
import type { InvokeRequest, ToolServerSpec } from "../../../../shared/contracts/runtime.ts";

/** Reads a variable for `env:NAME` sources; undefined when unset. Null means env is not permitted here (sub-workflows). */
export type EnvLookup = ((name: string) => string | undefined) | null;

/** A dispatch-time check failed (spec §4.2); the message is the step error. */
export class DispatchError extends Error {}

const ENV_PREFIX = "env:";

function readEnv(env: EnvLookup, name: string, describe: string): string {
  if (env === null) throw new DispatchError(`env: reference "env:${name}" not permitted outside root workflow context`);
  const value = env(name);
  if (value === undefined) throw new DispatchError(`${describe}env var "${name}" is not set`);
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * `ResolveAgentParams` (spec §4.2): declared params only; undeclared step params are ignored.
 * A secret param takes an `env:` source, or (added) a step value that is a secret workflow
 * param (`fromSecret`): the secret chain `ktsu validate` checks.
 */
export function resolveAgentParams(
  declared: ParamSpec[],
  stepParams: Record<string, unknown>,
  env: EnvLookup,
  fromSecret: ReadonlySet<string> = new Set(),
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const param of declared) {
    const name = param.name;
    if (Object.hasOwn(stepParams, name) && name !== "server") {
      const value = stepParams[name];
      if (typeof value !== "string") throw new DispatchError(`agent param "${name}": value must be a string, got ${typeName(value)}`);
      if (param.secret && !value.startsWith(ENV_PREFIX) && !fromSecret.has(name)) {
        throw new DispatchError(`agent param "${name}" is secret and must use an env: source or a secret workflow param`);
      }
      resolved[name] = value.startsWith(ENV_PREFIX) ? readEnv(env, value.slice(ENV_PREFIX.length), `agent param "${name}": `) : value;
      continue;
    }
    if (param.default !== undefined) {
      resolved[name] = param.default.startsWith(ENV_PREFIX)
        ? readEnv(env, param.default.slice(ENV_PREFIX.length), `agent param "${name}" default: `)
        : param.default;
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

/** A whole `{{ params.KEY }}` reference, a backtick literal, or a plain literal (server params and auth.secret). */
function resolveParamRef(value: string, agentParams: Record<string, string>, what: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith("{{") && trimmed.endsWith("}}")) {
    const expr = trimmed.slice(2, -2).trim();
    if (!expr.startsWith("params.")) throw new DispatchError(`${what}unsupported template "${value}" — only {{ params.KEY }} is supported`);
    const key = expr.slice("params.".length);
    if (!Object.hasOwn(agentParams, key)) throw new DispatchError(`${what}agent param "${key}" not found`);
    return agentParams[key]!;
  }
  if (value.length >= 2 && value.startsWith("`") && value.endsWith("`")) return value.slice(1, -1);
  return value;
}

function resolveServerParams(
  declared: ParamSpec[],
  given: Record<string, string>,
  agentParams: Record<string, string>,
  env: EnvLookup,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const param of declared) {
    const name = param.name;
    const value = given[name];
    if (value !== undefined) {
      resolved[name] = value.startsWith(ENV_PREFIX)
        ? readEnv(env, value.slice(ENV_PREFIX.length), `server param "${name}": `)
        : resolveParamRef(value, agentParams, `server param "${name}": `);
      continue;
    }
    if (param.default !== undefined) {
      resolved[name] = param.default.startsWith(ENV_PREFIX)
        ? readEnv(env, param.default.slice(ENV_PREFIX.length), `server param "${name}" default: `)
        : param.default;
      continue;
    }
    throw new DispatchError(`required server param "${name}" has no value`);
  }
  return resolved;
}

function toolServers(project: ProjectBundle, agent: CompiledAgent, agentParams: Record<string, string>, env: EnvLookup): ToolServerSpec[] {
  return agent.servers.map((ref) => {
    const server = project.servers[ref.server];
    if (!server) throw new DispatchError(`load server ${ref.server}: not in the project bundle`);
    const spec: ToolServerSpec = { name: server.name, url: server.url, allowlist: ref.allowlist };
    if (server.auth) {
      if (!server.auth.secret) throw new DispatchError(`server "${ref.name}" auth.secret is required`);
      let secret: string;
      try {
        secret = resolveParamRef(server.auth.secret, agentParams, "");
      } catch (err) {
        throw new DispatchError(`server "${ref.name}" auth.secret: ${(err as Error).message}`);
      }
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
      throw new DispatchError(`server ${ref.name} param resolution: ${(err as Error).message}`);
    }
    if (ref.approval_rules.length > 0) spec.approval_rules = ref.approval_rules;
    if (ref.persistent_id) spec.persistent_id = ref.persistent_id;
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
  /** Step params whose value is a whole `{{ params.X }}` of a secret workflow param. */
  secretSourced?: ReadonlySet<string>;
}

function wrap<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new DispatchError(`${prefix}: ${(err as Error).message}`);
  }
}

/**
 * Builds the runtime InvokeRequest for an agent step (spec §8.11), applying the
 * dispatch-time checks of spec §4.2 with their error texts.
 */
export function buildInvokeRequest(
  project: ProjectBundle,
  step: CompiledAgentStep,
  stepParams: Record<string, unknown>,
  env: EnvLookup,
  dispatch: AgentDispatch,
): InvokeRequest {
  const agent = project.agents[step.agent];
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
