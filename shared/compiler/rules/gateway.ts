// gateway.yaml: providers, model groups and pricing, checked at build time
// (the original found most of these only at gateway boot or on the first request).

import type { GatewayFile } from "../../config/types.ts";
import { isBroken } from "../decode.ts";
import type { FileIssues } from "../diagnostics.ts";
import type { Project } from "../load-project.ts";
import { checkPricingUnits, checkProviderRoute } from "./gateway-providers.ts";
import { checkEnvDeclarations } from "./workflow-shape.ts";

export const PROVIDER_TYPES = ["anthropic", "openai", "workers_ai"] as const;
export const STRATEGIES = ["round_robin", "cost_optimized", "fallback"] as const;

/** The gateway's own pattern for env placeholders in provider config. */
const GATEWAY_ENV_REF = /\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function checkGateway(project: Project): void {
  const file = project.gateway;
  if (file?.data) checkGatewayFile(file.data, file.issues);
}

function checkGatewayFile(gateway: GatewayFile, issues: FileIssues): void {
  checkEnvDeclarations(gateway.env, ["env"], issues);
  const declaredEnv = new Set((gateway.env ?? []).map((e) => e.name));

  const providers = new Map<string, string | undefined>();
  gateway.providers?.forEach((provider, i) => {
    if (isBroken(provider)) return;
    const at = ["providers", i] as const;
    const name = provider.name ?? "";
    if (name === "") issues.error([...at, "name"], "provider has no name");
    else if (providers.has(name)) issues.error([...at, "name"], `provider "${name}" is declared twice`);
    else providers.set(name, provider.type);

    if (provider.type === undefined) issues.error([...at, "type"], `provider "${name}": type is required ("anthropic", "openai" or "workers_ai")`);
    else if (!(PROVIDER_TYPES as readonly string[]).includes(provider.type)) {
      issues.error([...at, "type"], `provider "${name}": unknown provider type "${provider.type}"`);
    }

    const config = provider.config ?? {};
    checkProviderRoute(name, provider.type, config, at, issues);
    for (const [key, value] of Object.entries(config)) {
      const missing = [...value.matchAll(GATEWAY_ENV_REF)].map((m) => m[1] ?? "").filter((v) => !declaredEnv.has(v));
      if (missing.length > 0) {
        issues.error(
          [...at, "config", key],
          `provider "${name}": config key "${key}": env var(s) [${[...new Set(missing)].join(" ")}] referenced but not declared in env: section`,
        );
      }
      // Provider config never understood `env:NAME` (it reaches the provider as written).
      const prefixed = value.trim().startsWith("env:") ? value.trim().slice(4) : undefined;
      if (prefixed !== undefined) {
        issues.warn([...at, "config", key], `"${value}" is used literally; write {{ env.${prefixed} }} and declare ${prefixed} in env:`);
      }
    }
  });

  const groups = new Set<string>();
  gateway.model_groups?.forEach((group, i) => {
    if (isBroken(group)) return;
    const at = ["model_groups", i] as const;
    const name = group.name ?? "";
    if (name === "") issues.error([...at, "name"], "model group has no name");
    else if (groups.has(name)) issues.error([...at, "name"], `model group "${name}" is declared twice`);
    else groups.add(name);

    // Bare model id → the type of the provider serving it in this group.
    const bareModels = new Map<string, string | undefined>();
    if (!group.models || group.models.length === 0) issues.error([...at, "models"], `model group "${name}" has no models`);
    group.models?.forEach((model, j) => {
      const slash = model.indexOf("/");
      if (slash <= 0 || slash === model.length - 1) {
        issues.error([...at, "models", j], `invalid model entry "${model}": expected provider/model`);
        return;
      }
      const provider = model.slice(0, slash);
      bareModels.set(model.slice(slash + 1), providers.get(provider));
      if (!providers.has(provider)) issues.error([...at, "models", j], `model "${model}": provider "${provider}" is not declared in providers`);
    });

    if (group.strategy !== undefined && !(STRATEGIES as readonly string[]).includes(group.strategy)) {
      issues.error([...at, "strategy"], `strategy must be one of ${STRATEGIES.map((s) => `"${s}"`).join(", ")}, got "${group.strategy}"`);
    }
    if (group.default_temperature !== undefined && group.default_temperature < 0) {
      issues.error([...at, "default_temperature"], "default_temperature must not be negative");
    }

    group.pricing?.forEach((price, k) => {
      if (isBroken(price)) return;
      const p = [...at, "pricing", k] as const;
      if (!price.model) issues.error([...p, "model"], "pricing entry needs a model (the bare model id, without provider/)");
      else if (price.model.includes("/") && !bareModels.has(price.model)) {
        issues.error([...p, "model"], `pricing model "${price.model}" must be the bare model id, without the provider prefix`);
      } else if (!bareModels.has(price.model)) {
        issues.warn([...p, "model"], `pricing model "${price.model}" is not one of this group's models`);
      }
      checkPricingUnits(price, price.model ? bareModels.get(price.model) : undefined, p, issues);
      for (const field of ["cache_read_per_million", "cache_write_per_million"] as const) {
        const value = price[field];
        if (value !== undefined && value < 0) issues.error([...p, field], `${field} must not be negative`);
      }
    });
  });
}
