// Model-group resolution (a group names `provider/model` entries; the provider is
// the part before the first `/`): which models a request may use, in the
// order the gateway tries them.

import type { CompiledModelGroup } from "../../../shared/config/types.ts";
import type { ResolvedGateway, ResolvedProvider } from "./config.ts";
import { GatewayError } from "./errors.ts";
import { lookupPrice, priceRank } from "./pricing.ts";
import { splitModel } from "../../../shared/pricing/prices.ts";

export interface ModelTarget {
  /** `provider/model` as written in the group: the response's `model_resolved`. */
  entry: string;
  provider: ResolvedProvider;
  /** The bare model id sent to the provider. */
  model: string;
}

/** Round-robin position of each group, per isolate (the original's were per process). */
const roundRobin = new Map<string, number>();

export function findGroup(config: ResolvedGateway, name: string): CompiledModelGroup {
  const group = config.groups.get(name);
  if (!group) throw new GatewayError("unknown_group", `model group "${name}" not found`);
  if (group.models.length === 0) throw new GatewayError("no_models_available", `no models configured in group "${name}"`);
  return group;
}

/**
 * The group's models in the order to try them; the first is the strategy's
 * choice and the rest are the fallbacks for retryable failures.
 * - `round_robin`: request k starts at models[k mod n] and continues around the list;
 * - `cost_optimized`: cheapest first by configured or built-in price, unknown prices last;
 * - `fallback`: always the configured order.
 */
export function candidateOrder(group: CompiledModelGroup): string[] {
  const models = group.models;
  switch (group.strategy) {
    case "cost_optimized":
      return models
        .map((entry, index) => ({ entry, index, rank: priceRank(lookupPrice(group.pricing, splitModel(entry)?.model ?? entry)) }))
        .sort((a, b) => a.rank - b.rank || a.index - b.index)
        .map((m) => m.entry);
    case "fallback":
      return [...models];
    default: {
      const k = roundRobin.get(group.name) ?? 0;
      roundRobin.set(group.name, k + 1);
      const start = k % models.length;
      return [...models.slice(start), ...models.slice(0, start)];
    }
  }
}

export function resolveTarget(config: ResolvedGateway, entry: string): ModelTarget {
  const parts = splitModel(entry);
  if (!parts) throw new GatewayError("invalid_model_config", `invalid model entry "${entry}": expected provider/model`);
  const provider = config.providers.get(parts.provider);
  if (!provider) throw new GatewayError("provider_not_registered", `provider "${parts.provider}" not registered`);
  return { entry, provider, model: parts.model };
}
