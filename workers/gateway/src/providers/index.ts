import type { ResolvedProvider } from "../config.ts";
import { anthropicClient } from "./anthropic.ts";
import { openaiClient } from "./openai.ts";
import type { ProviderClient } from "./types.ts";

export type { CompletionRequest, CompletionResult, ProviderClient } from "./types.ts";

export function providerClient(provider: ResolvedProvider, timeoutMs: number): ProviderClient {
  return provider.type === "anthropic" ? anthropicClient(provider, timeoutMs) : openaiClient(provider, timeoutMs);
}
