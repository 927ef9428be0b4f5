import type { GatewayMessage, GatewayTool, GatewayToolCall } from "../../../../shared/contracts/gateway.ts";
import type { ProviderType } from "../config.ts";
import type { TokenUsage } from "../pricing.ts";

/** What a provider adapter is asked for: one non-streaming completion. */
export interface CompletionRequest {
  /** The bare model id (no `provider/` prefix). */
  model: string;
  messages: GatewayMessage[];
  maxTokens: number;
  temperature: number;
  tools?: GatewayTool[];
  /** The caller's request: aborted when the caller goes away, which aborts the provider's request. */
  signal?: AbortSignal;
  /** The run and step the call is for, tagged on the call where the route keeps them (AI Gateway's logs). */
  tags?: { runId: string; stepId: string };
}

export interface CompletionResult {
  content: string;
  toolCalls: GatewayToolCall[];
  usage: TokenUsage;
}

/** One configured provider. Failures are thrown as `GatewayError`s. */
export interface ProviderClient {
  readonly type: ProviderType;
  complete(req: CompletionRequest): Promise<CompletionResult>;
}
