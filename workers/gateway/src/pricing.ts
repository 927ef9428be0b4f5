// Token prices and call cost: cost = tokens × USD-per-million / 1e6 for input
// and output, extended with prompt-cache tokens. Prices come from the group's
// `pricing[]`, else the built-in table, else the cost is 0.

import type { ProviderType } from "./config.ts";

/** USD per million tokens. */
export interface ModelPrice {
  input_per_million: number;
  output_per_million: number;
  /** When absent: input × CACHE_MULTIPLIERS[provider].read. */
  cache_read_per_million?: number;
  /** When absent: input × CACHE_MULTIPLIERS[provider].write. */
  cache_write_per_million?: number;
}

/** A group's `pricing[]` entry; `model` is the bare model id. */
export interface PriceEntry extends ModelPrice {
  model: string;
}

/** The original's built-in table, USD per million tokens (kept so existing projects cost the same). */
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

/**
 * Cache prices relative to the input price, as the providers bill them:
 * Anthropic charges 1.25× for writing the cache and 0.1× for reading it;
 * OpenAI bills cached input at 0.5× and has no separate write charge.
 */
export const CACHE_MULTIPLIERS: Readonly<Record<ProviderType, { read: number; write: number }>> = {
  anthropic: { read: 0.1, write: 1.25 },
  openai: { read: 0.5, write: 1 },
};

/** Token counts of one call. `input` excludes the cache reads and writes. */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Configured pricing first (exact bare model id), then the built-in table; null = unknown (cost 0). */
export function lookupPrice(pricing: readonly PriceEntry[], model: string): ModelPrice | null {
  return pricing.find((p) => p.model === model) ?? BUILTIN_PRICES[model] ?? null;
}

function cacheRates(price: ModelPrice, provider: ProviderType): { read: number; write: number } {
  const m = CACHE_MULTIPLIERS[provider];
  return {
    read: price.cache_read_per_million ?? price.input_per_million * m.read,
    write: price.cache_write_per_million ?? price.input_per_million * m.write,
  };
}

/** Rounds away float noise (0.1 + 0.2) below a millionth of a cent. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}

export function costOf(price: ModelPrice | null, usage: TokenUsage, provider: ProviderType): number {
  if (!price) return 0;
  const cache = cacheRates(price, provider);
  return roundUsd(
    (usage.input * price.input_per_million + usage.cacheRead * cache.read + usage.cacheWrite * cache.write + usage.output * price.output_per_million) / 1e6,
  );
}

/**
 * The most a call can cost: every input token at the dearest input rate
 * (a cache write can cost more than plain input) and `maxTokens` of output.
 */
export function maxCostOf(price: ModelPrice | null, inputTokens: number, maxTokens: number, provider: ProviderType): number {
  if (!price) return 0;
  const cache = cacheRates(price, provider);
  const inputRate = Math.max(price.input_per_million, cache.read, cache.write);
  // Rounded up, so rounding never makes the reservation smaller than the real cost.
  return Math.ceil(((inputTokens * inputRate + maxTokens * price.output_per_million) / 1e6) * 1e12) / 1e12;
}

/** Sort key for `cost_optimized`: price of a million tokens in and a million out; unknown prices last. */
export function priceRank(price: ModelPrice | null): number {
  return price ? price.input_per_million + price.output_per_million : Number.POSITIVE_INFINITY;
}
