// OpenAI Chat Completions for any compatible base_url (OpenAI,
// Ollama, vLLM, ...), with native function calls both ways.

import type { GatewayMessage, GatewayTool, GatewayToolCall } from "../../../../shared/contracts/gateway.ts";
import type { ResolvedProvider } from "../config.ts";
import { GatewayError } from "../errors.ts";
import { aiGatewayHeaders } from "./ai-gateway.ts";
import { asNumber, asString, parseJson, providerReplyError, postJson, upstreamMessage, type JsonRecord, type UpstreamReply } from "./http.ts";
import { isPlainObject } from "../../../../shared/util/objects.ts";
import type { CompletionRequest, CompletionResult, ProviderClient } from "./types.ts";

// Error codes that mean the account cannot pay, not that the request failed.
const BILLING_CODES = new Set(["billing_hard_limit_reached", "insufficient_quota"]);
// Error types compatible servers use for conditions that pass.
const TRANSIENT_ERROR_TYPES = new Set(["server_error", "rate_limit_exceeded", "rate_limit_error", "overloaded_error", "timeout"]);

type OpenAIMessage = JsonRecord;

export interface OpenAIBody {
  model: string;
  messages: OpenAIMessage[];
  max_tokens: number;
  temperature: number;
  tools?: Array<{ type: "function"; function: { name: string; description: string; parameters: Record<string, unknown> } }>;
}

function fail(message: string): GatewayError {
  return new GatewayError("internal_error", `openai provider: ${message}`);
}

export function toOpenAIBody(req: CompletionRequest): OpenAIBody {
  const body: OpenAIBody = { model: req.model, messages: req.messages.map(toOpenAIMessage), max_tokens: req.maxTokens, temperature: req.temperature };
  if (req.tools && req.tools.length > 0) body.tools = req.tools.map(toOpenAITool);
  return body;
}

/** One message in Chat Completions form (also what Workers AI's function-calling models take). */
export function toOpenAIMessage(m: GatewayMessage): OpenAIMessage {
  if (m.role === "tool") return { role: "tool", content: m.content ?? "", tool_call_id: m.tool_call_id ?? "" };
  if (m.tool_calls && m.tool_calls.length > 0) {
    const out: OpenAIMessage = {
      role: m.role,
      tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
    };
    if (m.content) out.content = m.content;
    return out;
  }
  return { role: m.role, content: m.content ?? "" };
}

export function toOpenAITool(t: GatewayTool) {
  return { type: "function" as const, function: { name: t.name, description: t.description, parameters: t.input_schema } };
}

/** OpenAI nests the error (`{error:{...}}`); vLLM answers with it at the top level (`{object:"error", ...}`). */
function errorObject(json: JsonRecord | undefined): JsonRecord | undefined {
  if (!json) return undefined;
  if (isPlainObject(json.error)) return json.error;
  if (json.object === "error") return json;
  return undefined;
}

function errorFrom(reply: UpstreamReply, error: JsonRecord | undefined): GatewayError {
  const code = asString(error?.code);
  const type = asString(error?.type);
  const message = asString(error?.message) || (typeof error?.error === "string" ? error.error : "");
  if (BILLING_CODES.has(code) || BILLING_CODES.has(type)) {
    return new GatewayError("budget_exceeded", upstreamMessage(reply.status, message));
  }
  const retryable = reply.status === 200 ? TRANSIENT_ERROR_TYPES.has(type) || TRANSIENT_ERROR_TYPES.has(code) : reply.status === 429 || reply.status >= 500;
  return providerReplyError(reply, type || code, message, retryable);
}

/** Message content: a string, null, or (some compatible servers) an array of text parts. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (isPlainObject(part) && typeof part.text === "string" ? part.text : "")).join("");
}

function toolCallOf(raw: unknown, index: number): GatewayToolCall {
  const fn = isPlainObject(raw) && isPlainObject(raw.function) ? raw.function : undefined;
  if (!fn || typeof fn.name !== "string") throw fail("decode response: tool call without a function name");
  const id = isPlainObject(raw) && typeof raw.id === "string" && raw.id !== "" ? raw.id : `call_${index}`;
  return { id, name: fn.name, arguments: toolArguments(fn.arguments) };
}

/** Arguments arrive as a JSON string; what does not parse into an object is kept as `{_raw}`. */
export function toolArguments(raw: unknown): Record<string, unknown> {
  if (isPlainObject(raw)) return raw; // some compatible servers send the object itself
  const text = typeof raw === "string" ? raw : JSON.stringify(raw ?? null);
  if (text.trim() === "") return {};
  const parsed = parseJson(text);
  return parsed.ok && isPlainObject(parsed.value) ? parsed.value : { _raw: text };
}

export function parseOpenAIReply(reply: UpstreamReply): CompletionResult {
  const parsed = parseJson(reply.text);
  const json = parsed.ok && isPlainObject(parsed.value) ? parsed.value : undefined;
  if (reply.status < 200 || reply.status >= 300) throw errorFrom(reply, errorObject(json));
  if (!parsed.ok) throw fail(`decode response: ${parsed.error}`);
  if (!json) throw fail("decode response: body is not a JSON object");
  const error = errorObject(json);
  if (error && json.choices === undefined) throw errorFrom(reply, error);
  if (!Array.isArray(json.choices)) throw fail("decode response: choices is not an array");
  if (json.choices.length === 0) throw fail("empty choices in response");

  const choice = json.choices[0];
  const message = isPlainObject(choice) && isPlainObject(choice.message) ? choice.message : undefined;
  if (!message) throw fail("decode response: choices[0].message is not an object");
  const content = textOf(message.content);
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls.map(toolCallOf) : [];
  if (content === "" && toolCalls.length === 0) throw fail("empty content and no tool calls in response");

  const usage = isPlainObject(json.usage) ? json.usage : {};
  const details = isPlainObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const prompt = asNumber(usage.prompt_tokens);
  const cached = Math.min(asNumber(details.cached_tokens), prompt);
  return {
    content,
    toolCalls,
    usage: { input: prompt - cached, output: asNumber(usage.completion_tokens), cacheRead: cached, cacheWrite: 0 },
  };
}

export function openaiClient(provider: ResolvedProvider, timeoutMs: number): ProviderClient {
  const url = `${provider.baseUrl}/chat/completions`;
  return {
    type: "openai",
    async complete(req) {
      const reply = await postJson(
        url,
        { authorization: `Bearer ${provider.apiKey}`, ...aiGatewayHeaders(provider, req) },
        toOpenAIBody(req),
        timeoutMs,
        req.signal,
      );
      return parseOpenAIReply(reply);
    },
  };
}
