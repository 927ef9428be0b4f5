// Cloudflare AI Gateway in front of an Anthropic or OpenAI-compatible provider:
// the same wire format at AI Gateway's URL, plus its request headers.

import type { ResolvedProvider } from "../config.ts";
import type { CompletionRequest } from "./types.ts";

/** AI Gateway's custom metadata: a flat JSON object (at most five entries are kept) shown in its logs. */
export const AI_GATEWAY_METADATA_HEADER = "cf-aig-metadata";
/** The token of an authenticated gateway. */
export const AI_GATEWAY_AUTH_HEADER = "cf-aig-authorization";

/** The run and step ids as AI Gateway metadata, and the gateway's token; none when the provider is called directly. */
export function aiGatewayHeaders(provider: ResolvedProvider, req: CompletionRequest): Record<string, string> {
  if (!provider.aiGateway) return {};
  const headers: Record<string, string> = {};
  if (req.tags) headers[AI_GATEWAY_METADATA_HEADER] = JSON.stringify(aiGatewayMetadata(req.tags));
  if (provider.aiGateway.token) headers[AI_GATEWAY_AUTH_HEADER] = `Bearer ${provider.aiGateway.token}`;
  return headers;
}

/** The metadata entries every routed call carries (two of AI Gateway's five). */
export function aiGatewayMetadata(tags: NonNullable<CompletionRequest["tags"]>): Record<string, string> {
  return { run_id: tags.runId, step_id: tags.stepId };
}
