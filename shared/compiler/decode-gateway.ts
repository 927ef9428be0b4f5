// Reads `gateway.yaml`.

import type { GatewayFile, ModelGroupConfig, PricingConfig, ProviderConfig } from "../config/types.ts";
import { brokenEntry, compact, type Decoder } from "./decode.ts";
import { decodeEnvList } from "./decode-workflow.ts";

export function decodeGateway(value: unknown, d: Decoder): GatewayFile {
  const root = d.mapping(value, []) ?? {};
  return compact<GatewayFile>({
    env: decodeEnvList(root.env, ["env"], d),
    providers: d.list(root.providers, ["providers"], (entry, p) => {
      const provider = d.mapping(entry, p);
      if (!provider) return brokenEntry<ProviderConfig>();
      return compact<ProviderConfig>({
        name: d.string(provider.name, [...p, "name"]),
        type: d.string(provider.type, [...p, "type"]),
        config: d.stringMap(provider.config, [...p, "config"]),
      });
    }),
    model_groups: d.list(root.model_groups, ["model_groups"], (entry, p) => {
      const group = d.mapping(entry, p);
      if (!group) return brokenEntry<ModelGroupConfig>();
      return compact<ModelGroupConfig>({
        name: d.string(group.name, [...p, "name"]),
        models: d.stringList(group.models, [...p, "models"]),
        strategy: d.string(group.strategy, [...p, "strategy"]),
        default_temperature: d.number(group.default_temperature, [...p, "default_temperature"]),
        pricing: d.list(group.pricing, [...p, "pricing"], (item, q) => {
          const price = d.mapping(item, q);
          if (!price) return brokenEntry<PricingConfig>();
          return compact<PricingConfig>({
            model: d.string(price.model, [...q, "model"]),
            input_per_million: d.number(price.input_per_million, [...q, "input_per_million"]),
            output_per_million: d.number(price.output_per_million, [...q, "output_per_million"]),
            cache_read_per_million: d.number(price.cache_read_per_million, [...q, "cache_read_per_million"]),
            cache_write_per_million: d.number(price.cache_write_per_million, [...q, "cache_write_per_million"]),
            input_neurons_per_million: d.number(price.input_neurons_per_million, [...q, "input_neurons_per_million"]),
            output_neurons_per_million: d.number(price.output_neurons_per_million, [...q, "output_neurons_per_million"]),
          });
        }),
      });
    }),
  });
}
