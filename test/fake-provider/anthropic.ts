// Anthropic Messages API wire format (POST /v1/messages), non-streaming. Replies are typed with
// the official SDK's types (type-only: nothing of the SDK is loaded), so a field the real API
// does not have, or lacks, fails the typecheck.

import type { ContentBlock, Message, StopReason } from "@anthropic-ai/sdk/resources/messages/messages";
import type { ErrorObject, ErrorResponse } from "@anthropic-ai/sdk/resources/shared";
import { countChars } from "./completion.ts";
import type { ApiAdapter, FakeError, ParsedRequest } from "./types.ts";
import { isPlainObject } from "../../shared/util/objects.ts";

type ErrorType = ErrorObject["type"];

// Anthropic's error type for each HTTP status (the SDK's list of error types).
const ERROR_TYPES: Readonly<Record<number, ErrorType>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const ANTHROPIC_STOP_REASONS: ReadonlySet<string> = new Set<StopReason>([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
]);

// Scripts may use either API's stop vocabulary.
const FROM_OPENAI: Readonly<Record<string, StopReason>> = {
  stop: "end_turn",
  tool_calls: "tool_use",
  length: "max_tokens",
  content_filter: "refusal",
};

/** A scripted stop reason in Anthropic's words; one neither API knows falls back to the default. */
function stopReason(scripted: string | undefined, fallback: StopReason): StopReason {
  if (scripted === undefined) return fallback;
  if (ANTHROPIC_STOP_REASONS.has(scripted)) return scripted as StopReason;
  return FROM_OPENAI[scripted] ?? fallback;
}

export const anthropic: ApiAdapter = {
  api: "anthropic",
  toolCallIdPrefix: "toolu_",

  checkAuth(headers) {
    if (!headers["x-api-key"]) return "x-api-key header is required";
    if (!headers["anthropic-version"]) return "anthropic-version header is required";
    return null;
  },

  parse(body): ParsedRequest | string {
    if (!isPlainObject(body)) return "request body must be a JSON object";
    if (typeof body.model !== "string" || !body.model) return "model: Field required";
    if (typeof body.max_tokens !== "number") return "max_tokens: Field required";
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return "messages: at least one message is required";
    }
    return {
      model: body.model,
      system: textOf(body.system),
      lastUserText: lastUserText(body.messages),
      assistantTurns: (body.messages as Array<{ role?: unknown }>).filter((m) => isPlainObject(m) && m.role === "assistant").length,
      inputChars: countChars(body.system) + countChars(body.messages),
    };
  },

  successBody(req, c, newId): Message {
    const content: ContentBlock[] = [];
    if (c.text !== undefined) content.push({ type: "text", text: c.text, citations: null });
    for (const call of c.toolCalls) {
      content.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments, caller: { type: "direct" } });
    }
    return {
      id: newId("msg_"),
      type: "message",
      role: "assistant",
      model: req.model,
      content,
      container: null,
      diagnostics: null,
      stop_details: null,
      stop_reason: stopReason(c.stopReason, c.toolCalls.length > 0 ? "tool_use" : "end_turn"),
      stop_sequence: null,
      usage: {
        input_tokens: c.usage.input,
        output_tokens: c.usage.output,
        cache_creation_input_tokens: c.usage.cacheWrite,
        cache_read_input_tokens: c.usage.cacheRead,
        cache_creation: null,
        inference_geo: null,
        output_tokens_details: null,
        server_tool_use: null,
        service_tier: "standard",
        speed: null,
      },
    };
  },

  errorBody(status, error: FakeError): ErrorResponse {
    const type: ErrorType = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
    return {
      type: "error",
      // A script may name any error type on purpose (one the SDK does not list, to test a client).
      error: { type: (error.type as ErrorType | undefined) ?? type, message: error.message },
      request_id: null,
    };
  },
};

/** Text of a `system` value or message `content`: a string or an array of blocks. */
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  return value
    .filter((b): b is Record<string, unknown> => isPlainObject(b) && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("\n");
}

// The last user turn may hold only tool_result blocks; look back for real text.
function lastUserText(messages: unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isPlainObject(m) || m.role !== "user") continue;
    const text = textOf(m.content);
    if (text) return text;
  }
  return "";
}
