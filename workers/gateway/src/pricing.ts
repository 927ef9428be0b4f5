// Call cost from token prices (the price table itself is shared with the
// compiler), extended with prompt-cache tokens.

import type { ModelPrice } from "../../../shared/pricing/prices.ts";
import type { ProviderType } from "./config.ts";

export { BUILTIN_PRICES, lookupPrice, type ModelPrice, type PriceEntry } from "../../../shared/pricing/prices.ts";

/**
 * Cache prices relative to the input price, as the providers bill them:
 * Anthropic charges 1.25× for writing the cache and 0.1× for reading it;
 * OpenAI bills cached input at 0.5× and has no separate write charge. A Workers AI
 * model's price is its neuron rate at the neuron price (shared/pricing/prices.ts).
 */
export const CACHE_MULTIPLIERS: Readonly<Record<ProviderType, { read: number; write: number }>> = {
  anthropic: { read: 0.1, write: 1.25 },
  openai: { read: 0.5, write: 1 },
  // Workers AI reports no cache tokens: every input token is billed at the input rate.
  workers_ai: { read: 1, write: 1 },
};

/** Token counts of one call. `input` excludes the cache reads and writes. */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
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
