import type { ResolvedProvider } from "../config.ts";
import { anthropicClient } from "./anthropic.ts";
import { openaiClient } from "./openai.ts";
import type { ProviderClient } from "./types.ts";
import { type WorkersAiBinding, workersAiClient } from "./workers-ai.ts";

export type { CompletionRequest, CompletionResult, ProviderClient } from "./types.ts";
export { workersAiBinding } from "./workers-ai.ts";

/** `ai` is the gateway's AI binding, which only `workers_ai` providers use (absent locally). */
export function providerClient(provider: ResolvedProvider, timeoutMs: number, ai?: WorkersAiBinding): ProviderClient {
  if (provider.type === "workers_ai") return workersAiClient(provider, timeoutMs, ai);
  return provider.type === "anthropic" ? anthropicClient(provider, timeoutMs) : openaiClient(provider, timeoutMs);
}
