// Turns the bundle's gateway config (with `{{ env.X }}` placeholders) into the
// providers and groups the gateway serves, using the Worker's env as the
// environment, with the checks and messages of the original's boot. Masking
// of the secrets it collects is shared/secrets (see app.ts).

import type { CompiledGateway, CompiledModelGroup } from "../../../shared/config/types.ts";

export type ProviderType = "anthropic" | "openai";

export interface ResolvedProvider {
  name: string;
  type: ProviderType;
  apiKey: string;
  /** Without a trailing slash. */
  baseUrl: string;
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
    if (type !== "anthropic" && type !== "openai") {
      fail(`unknown provider type "${type}"`);
      continue;
    }
    const apiKey = config.api_key ?? "";
    if (apiKey === "") {
      fail("missing api_key");
      continue;
    }
    // The original ignores base_url for anthropic; accepting it is an additive extension.
    const baseUrl = (config.base_url ?? (type === "anthropic" ? DEFAULT_ANTHROPIC_BASE_URL : "")).replace(/\/+$/, "");
    if (baseUrl === "") {
      fail("missing base_url");
      continue;
    }
    if (!URL.canParse(baseUrl)) {
      // The value itself is not echoed: a base URL may carry a token.
      fail("base_url is not a valid URL");
      continue;
    }
    providers.set(name, { name, type, apiKey, baseUrl });
    secrets.push(apiKey);
  }
  if (buildErrors.length > 0) return { ok: false, errors: buildErrors };

  const groups = new Map<string, CompiledModelGroup>();
  for (const group of gateway.model_groups) groups.set(group.name, group);
  return { ok: true, config: { providers, groups, secrets } };
}
