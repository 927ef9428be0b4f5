// gateway.yaml: how each provider is reached (its own API, Cloudflare's AI
// Gateway in front of it, or the Workers AI binding) and the units a model
// is priced in (USD per million tokens, or a Workers AI model's neurons).

import type { PricingConfig } from "../../config/types.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";

/** Config keys that route an Anthropic or OpenAI-compatible provider through AI Gateway. */
const AI_GATEWAY_KEYS = ["ai_gateway", "ai_gateway_token", "ai_gateway_provider"] as const;
/** Keys a `workers_ai` provider understands: it is reached through the gateway's AI binding, never over HTTP. */
const WORKERS_AI_KEYS = new Set(["ai_gateway_id"]);

const ENV_PLACEHOLDER = /\{\{\s*env\./;
/** AI Gateway's provider path segments are lower-case words (`openai`, `anthropic`, `groq`, `workers-ai`, `compat`…). */
const PROVIDER_SEGMENT = /^[a-z0-9][a-z0-9-]*$/;

export function checkProviderRoute(name: string, type: string | undefined, config: Record<string, string>, at: FieldPath, issues: FileIssues): void {
  if (type === "workers_ai") {
    for (const key of Object.keys(config)) {
      if (!WORKERS_AI_KEYS.has(key)) {
        issues.error(
          [...at, "config", key],
          `provider "${name}": a workers_ai provider runs models through the gateway's AI binding and takes no "${key}" (the only config key is ai_gateway_id)`,
        );
      }
    }
    if (config.ai_gateway_id !== undefined && config.ai_gateway_id.trim() === "") {
      issues.error([...at, "config", "ai_gateway_id"], `provider "${name}": ai_gateway_id is empty (the AI Gateway's name, or leave it out)`);
    }
    return;
  }

  if (!config.api_key) issues.error([...at, "config"], `provider "${name}": missing api_key`);
  const gateway = config.ai_gateway;
  if (gateway === undefined) {
    if (type === "openai" && !config.base_url) issues.error([...at, "config"], `provider "${name}": missing base_url`);
    for (const key of AI_GATEWAY_KEYS.slice(1)) {
      if (config[key] !== undefined) issues.error([...at, "config", key], `provider "${name}": ${key} needs ai_gateway (the AI Gateway's URL)`);
    }
    return;
  }
  if (config.base_url !== undefined) {
    issues.error(
      [...at, "config", "base_url"],
      `provider "${name}": base_url and ai_gateway both set; with ai_gateway the provider is reached through AI Gateway, so leave base_url out`,
    );
  }
  // A URL built from placeholders is checked by the gateway once the variables are known.
  if (!ENV_PLACEHOLDER.test(gateway) && !/^https?:\/\/[^/]+/.test(gateway.trim())) {
    issues.error(
      [...at, "config", "ai_gateway"],
      `provider "${name}": ai_gateway must be the AI Gateway's URL, https://gateway.ai.cloudflare.com/v1/<account_id>/<gateway_id>`,
    );
  }
  const segment = config.ai_gateway_provider;
  if (segment !== undefined && !PROVIDER_SEGMENT.test(segment)) {
    issues.error(
      [...at, "config", "ai_gateway_provider"],
      `provider "${name}": ai_gateway_provider must be AI Gateway's provider name (a lower-case word such as openai, groq or compat), got "${segment}"`,
    );
  }
}

/**
 * A price is in USD per million tokens, or, for a Workers AI model, in neurons per
 * million tokens (converted at the neuron price); never both. `providerType` is the type of
 * the provider the group routes the entry's model to (undefined when unknown).
 */
export function checkPricingUnits(price: PricingConfig, providerType: string | undefined, at: FieldPath, issues: FileIssues): void {
  const neuronFields = ["input_neurons_per_million", "output_neurons_per_million"] as const;
  const usdFields = ["input_per_million", "output_per_million"] as const;
  const inNeurons = neuronFields.some((f) => price[f] !== undefined);
  const fields = inNeurons ? neuronFields : usdFields;
  for (const field of fields) {
    const value = price[field];
    if (value === undefined) issues.error([...at, field], `pricing entry needs ${field}`);
    else if (value < 0) issues.error([...at, field], `${field} must not be negative`);
  }
  if (!inNeurons) return;
  for (const field of usdFields) {
    if (price[field] !== undefined) {
      issues.error([...at, field], `pricing entry for "${price.model ?? ""}" is in neurons; ${field} cannot be given too (give one unit)`);
    }
  }
  if (providerType !== undefined && providerType !== "workers_ai") {
    issues.error(
      [...at, "input_neurons_per_million"],
      `pricing model "${price.model ?? ""}": neuron rates price Workers AI models only; its provider is of type "${providerType}" (use input_per_million/output_per_million)`,
    );
  }
}
