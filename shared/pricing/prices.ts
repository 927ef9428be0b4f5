// Which price a model is billed at: the model group's `pricing[]` entry for the
// bare model id, else the built-in table. Shared by the gateway (which charges
// calls and reserves budget with it) and the compiler (which refuses a budget
// it could not enforce because a model has no price).

/** USD per million tokens. */
export interface ModelPrice {
  input_per_million: number;
  output_per_million: number;
  /** When absent: the input price times the provider's cache-read multiplier. */
  cache_read_per_million?: number;
  /** When absent: the input price times the provider's cache-write multiplier. */
  cache_write_per_million?: number;
}

/** A group's `pricing[]` entry; `model` is the bare model id. */
export interface PriceEntry extends ModelPrice {
  model: string;
  /** Workers AI: the neuron rates `input_per_million`/`output_per_million` were computed from. */
  input_neurons_per_million?: number;
  output_neurons_per_million?: number;
}

/**
 * Workers AI bills neurons at $0.011 per 1,000 (Cloudflare's published rate). A model's
 * neurons per million input and output tokens are its own (Cloudflare's pricing table),
 * so a neuron rate becomes a token price by this factor.
 */
export const USD_PER_NEURON = 0.011 / 1000;

/** The token prices of a Workers AI model given as neurons per million tokens. */
export function neuronPrice(inputNeuronsPerMillion: number, outputNeuronsPerMillion: number): ModelPrice {
  return { input_per_million: inputNeuronsPerMillion * USD_PER_NEURON, output_per_million: outputNeuronsPerMillion * USD_PER_NEURON };
}

/** The original's built-in table. */
export const BUILTIN_PRICES: Readonly<Record<string, ModelPrice>> = {
  "claude-opus-4-6": { input_per_million: 15, output_per_million: 75 },
  "claude-sonnet-4-6": { input_per_million: 3, output_per_million: 15 },
  "claude-haiku-4-5-20251001": { input_per_million: 0.8, output_per_million: 4 },
  "claude-3-5-sonnet-20241022": { input_per_million: 3, output_per_million: 15 },
  "claude-3-5-haiku-20241022": { input_per_million: 0.8, output_per_million: 4 },
  "claude-3-opus-20240229": { input_per_million: 15, output_per_million: 75 },
  "claude-3-haiku-20240307": { input_per_million: 0.25, output_per_million: 1.25 },
  "gpt-4o": { input_per_million: 2.5, output_per_million: 10 },
  "gpt-4o-mini": { input_per_million: 0.15, output_per_million: 0.6 },
  "gpt-4-turbo": { input_per_million: 10, output_per_million: 30 },
  "gpt-3.5-turbo": { input_per_million: 0.5, output_per_million: 1.5 },
};

/** Configured pricing first (exact bare model id), then the built-in table; null = unknown (billed as 0). */
export function lookupPrice(pricing: readonly PriceEntry[], model: string): ModelPrice | null {
  return pricing.find((p) => p.model === model) ?? BUILTIN_PRICES[model] ?? null;
}

/** Splits a group entry at the first `/`: `ollama/qwen2.5:0.5b` → `ollama` + `qwen2.5:0.5b`; null when malformed. */
export function splitModel(entry: string): { provider: string; model: string } | null {
  const slash = entry.indexOf("/");
  if (slash <= 0 || slash === entry.length - 1) return null;
  return { provider: entry.slice(0, slash), model: entry.slice(slash + 1) };
}
