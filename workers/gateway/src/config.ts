// Turns the bundle's gateway config (with `{{ env.X }}` placeholders) into the
// providers and groups the gateway serves, using the Worker's env as the
// environment, with the checks and messages of the original's boot. Masking
// of the secrets it collects is shared/secrets (see app.ts).

import type { CompiledGateway, CompiledModelGroup } from "../../../shared/config/types.ts";

export type ProviderType = "anthropic" | "openai" | "workers_ai";

export interface ResolvedProvider {
  name: string;
  type: ProviderType;
  /** Empty for `workers_ai`, which the AI binding authenticates. */
  apiKey: string;
  /** Without a trailing slash; empty for `workers_ai`. */
  baseUrl: string;
  /** Routed through Cloudflare AI Gateway: calls carry its metadata (and token) headers. */
  aiGateway?: { token?: string };
  /** `workers_ai`: the AI Gateway the binding routes the calls through. */
  aiGatewayId?: string;
}

export interface ResolvedGateway {
  providers: Map<string, ResolvedProvider>;
  groups: Map<string, CompiledModelGroup>;
  /** Values that must never leave the gateway: api keys and `secret: true` env values. */
  secrets: string[];
}

export type ConfigResult = { ok: true; config: ResolvedGateway } | { ok: false; errors: string[] };

export const DEFAULT_ANTHROPIC_BASE_URL = "https://api.anthropic.com";

const ENV_REF = /\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Resolves the config in the original's three boot stages: declared env vars,
 * placeholders in provider config, then provider construction. Each stage
 * reports all of its errors; a later stage runs only when the earlier ones passed.
 */
export function resolveGatewayConfig(gateway: CompiledGateway | null, env: Record<string, unknown>): ConfigResult {
  if (!gateway) return { ok: false, errors: ["gateway init: GatewayConfig is required"] };

  const values = new Map<string, string>();
  const secrets: string[] = [];
  const envErrors: string[] = [];
  for (const declared of gateway.env) {
    // A binding set to "" counts as set: the default applies only when the name is absent.
    const bound = env[declared.name];
    const value = typeof bound === "string" ? bound : declared.default;
    if (value === undefined) envErrors.push(`resolve env: env var "${declared.name}" is required but not set`);
    else {
      values.set(declared.name, value);
      if (declared.secret && value !== "") secrets.push(value);
    }
  }
  if (envErrors.length > 0) return { ok: false, errors: envErrors };

  const substituted: Array<{ name: string; type: string; config: Record<string, string> }> = [];
  const refErrors: string[] = [];
  for (const provider of gateway.providers) {
    const config: Record<string, string> = {};
    for (const [key, raw] of Object.entries(provider.config)) {
      const undeclared = [...new Set([...raw.matchAll(ENV_REF)].map((m) => m[1] ?? "").filter((name) => !values.has(name)))];
      if (undeclared.length > 0) {
        refErrors.push(`provider "${provider.name}": config key "${key}": env var(s) [${undeclared.join(" ")}] referenced but not declared in env: section`);
        continue;
      }
      config[key] = raw.replace(ENV_REF, (_, name: string) => values.get(name) ?? "");
    }
    substituted.push({ name: provider.name, type: provider.type, config });
  }
  if (refErrors.length > 0) return { ok: false, errors: refErrors };

  const providers = new Map<string, ResolvedProvider>();
  const buildErrors: string[] = [];
  for (const { name, type, config } of substituted) {
    const fail = (reason: string) => buildErrors.push(`build providers: provider "${name}": ${reason}`);
    if (type === "workers_ai") {
      // No key and no URL: the gateway's AI binding is both.
      providers.set(name, { name, type, apiKey: "", baseUrl: "", ...(config.ai_gateway_id ? { aiGatewayId: config.ai_gateway_id } : {}) });
      continue;
    }
    if (type !== "anthropic" && type !== "openai") {
      fail(`unknown provider type "${type}"`);
      continue;
    }
    const apiKey = config.api_key ?? "";
    if (apiKey === "") {
      fail("missing api_key");
      continue;
    }
    const route = providerRoute(type, config);
    if (typeof route === "string") {
      fail(route);
      continue;
    }
    providers.set(name, { name, type, apiKey, ...route });
    secrets.push(apiKey);
    if (route.aiGateway?.token) secrets.push(route.aiGateway.token);
  }
  if (buildErrors.length > 0) return { ok: false, errors: buildErrors };

  const groups = new Map<string, CompiledModelGroup>();
  for (const group of gateway.model_groups) groups.set(group.name, group);
  return { ok: true, config: { providers, groups, secrets } };
}

/**
 * Where an Anthropic or OpenAI-compatible provider is reached: its base_url, or, with
 * `ai_gateway`, AI Gateway's endpoint for it (`<ai_gateway>/<anthropic|openai|ai_gateway_provider>`).
 * A string is the reason it cannot be.
 */
function providerRoute(type: "anthropic" | "openai", config: Record<string, string>): Pick<ResolvedProvider, "baseUrl" | "aiGateway"> | string {
  const gateway = config.ai_gateway?.replace(/\/+$/, "");
  if (gateway !== undefined) {
    // The values themselves are not echoed: a URL may carry a token.
    if (gateway === "" || !URL.canParse(gateway)) return "ai_gateway is not a valid URL";
    const token = config.ai_gateway_token ?? "";
    return { baseUrl: `${gateway}/${config.ai_gateway_provider || type}`, aiGateway: token ? { token } : {} };
  }
  // The original ignores base_url for anthropic; accepting it is an additive extension.
  const baseUrl = (config.base_url ?? (type === "anthropic" ? DEFAULT_ANTHROPIC_BASE_URL : "")).replace(/\/+$/, "");
  if (baseUrl === "") return "missing base_url";
  if (!URL.canParse(baseUrl)) return "base_url is not a valid URL";
  return { baseUrl };
}
