// Anthropic Messages API, with native tool calls both ways.

import type { GatewayMessage, GatewayTool, GatewayToolCall } from "../../../../shared/contracts/gateway.ts";
import type { ResolvedProvider } from "../config.ts";
import { GatewayError } from "../errors.ts";
import { aiGatewayHeaders } from "./ai-gateway.ts";
import { asNumber, asString, parseJson, providerReplyError, postJson, upstreamMessage, type JsonRecord, type UpstreamReply } from "./http.ts";
import { isPlainObject } from "../../../../shared/util/objects.ts";
import type { CompletionRequest, CompletionResult, ProviderClient } from "./types.ts";

export const ANTHROPIC_VERSION = "2023-06-01";

// Error types Anthropic uses for conditions that pass.
const TRANSIENT_ERROR_TYPES = new Set(["rate_limit_error", "overloaded_error", "api_error"]);

type ContentBlock = JsonRecord;
interface AnthropicMessage {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

export interface AnthropicBody {
  model: string;
  messages: AnthropicMessage[];
  max_tokens: number;
  system?: string;
  temperature: number;
  tools?: Array<{ name: string; description: string; input_schema: Record<string, unknown> }>;
}

function fail(message: string): GatewayError {
  return new GatewayError("internal_error", `anthropic provider: ${message}`);
}

/**
 * System messages move to the top-level `system` (only one is allowed), tool
 * calls become `tool_use` blocks, and the results of one assistant turn's
 * calls, consecutive `tool` messages, go back as one user message of
 * `tool_result` blocks, as the API requires.
 */
export function toAnthropicBody(req: CompletionRequest): AnthropicBody {
  let system: string | undefined;
  const messages: AnthropicMessage[] = [];
  for (const m of req.messages) {
    if (m.role === "system") {
      if (system !== undefined) throw fail("multiple system messages not supported");
      system = m.content ?? "";
      continue;
    }
    if (m.role === "tool") {
      const result: ContentBlock = { type: "tool_result", tool_use_id: m.tool_call_id ?? "", content: m.content ?? "" };
      const previous = messages.at(-1);
      if (previous && previous.role === "user" && Array.isArray(previous.content) && previous.content.every((b) => b.type === "tool_result")) {
        previous.content.push(result);
      } else {
        messages.push({ role: "user", content: [result] });
      }
      continue;
    }
    messages.push(toMessage(m));
  }
  const body: AnthropicBody = { model: req.model, messages, max_tokens: req.maxTokens, temperature: req.temperature };
  if (system) body.system = system;
  if (req.tools && req.tools.length > 0) body.tools = req.tools.map(toTool);
  return body;
}

function toMessage(m: GatewayMessage): AnthropicMessage {
  const role = m.role === "assistant" ? "assistant" : "user";
  if (!m.tool_calls || m.tool_calls.length === 0) return { role, content: m.content ?? "" };
  const blocks: ContentBlock[] = [];
  if (m.content) blocks.push({ type: "text", text: m.content });
  for (const call of m.tool_calls) blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
  return { role, content: blocks };
}

function toTool(t: GatewayTool) {
  return { name: t.name, description: t.description, input_schema: t.input_schema };
}

/** A failed reply (any status, or a 200 carrying an error) as a typed error. */
function errorFrom(reply: UpstreamReply, error: JsonRecord | undefined): GatewayError {
  const type = asString(error?.type);
  const message = asString(error?.message);
  const lower = message.toLowerCase();
  if (lower.includes("credit balance") || lower.includes("credit limit") || type === "billing_error") {
    return new GatewayError("budget_exceeded", upstreamMessage(reply.status, message));
  }
  const retryable = reply.status === 200 ? TRANSIENT_ERROR_TYPES.has(type) : reply.status === 429 || reply.status === 529 || reply.status >= 500;
  return providerReplyError(reply, type, message, retryable);
}

export function parseAnthropicReply(reply: UpstreamReply): CompletionResult {
  const parsed = parseJson(reply.text);
  const json = parsed.ok && isPlainObject(parsed.value) ? parsed.value : undefined;
  if (reply.status < 200 || reply.status >= 300) throw errorFrom(reply, isPlainObject(json?.error) ? json.error : undefined);
  if (!parsed.ok) throw fail(`decode response: ${parsed.error}`);
  if (!json) throw fail("decode response: body is not a JSON object");
  if (json.type === "error" || (isPlainObject(json.error) && json.content === undefined))
    throw errorFrom(reply, isPlainObject(json.error) ? json.error : undefined);
  if (!Array.isArray(json.content)) throw fail("decode response: content is not an array");

  let content: string | undefined;
  const toolCalls: GatewayToolCall[] = [];
  for (const block of json.content) {
    if (!isPlainObject(block)) continue;
    if (block.type === "text" && typeof block.text === "string") content = block.text; // the last text block wins
    if (block.type === "tool_use") {
      if (typeof block.id !== "string" || typeof block.name !== "string") throw fail("decode response: tool_use block without id or name");
      toolCalls.push({ id: block.id, name: block.name, arguments: isPlainObject(block.input) ? block.input : { _raw: JSON.stringify(block.input ?? null) } });
    }
  }
  if (content === undefined && toolCalls.length === 0) throw fail("no text or tool_use content block in response");

  const usage = isPlainObject(json.usage) ? json.usage : {};
  return {
    content: content ?? "",
    toolCalls,
    usage: {
      input: asNumber(usage.input_tokens),
      output: asNumber(usage.output_tokens),
      cacheRead: asNumber(usage.cache_read_input_tokens),
      cacheWrite: asNumber(usage.cache_creation_input_tokens),
    },
  };
}

export function anthropicClient(provider: ResolvedProvider, timeoutMs: number): ProviderClient {
  // base_url is the API root (as in Anthropic's SDKs); a root that already ends in /v1 is accepted too.
  const url = provider.baseUrl.endsWith("/v1") ? `${provider.baseUrl}/messages` : `${provider.baseUrl}/v1/messages`;
  return {
    type: "anthropic",
    async complete(req) {
      const body = toAnthropicBody(req);
      const reply = await postJson(
        url,
        { "x-api-key": provider.apiKey, "anthropic-version": ANTHROPIC_VERSION, ...aiGatewayHeaders(provider, req) },
        body,
        timeoutMs,
        req.signal,
      );
      return parseAnthropicReply(reply);
    },
  };
}
