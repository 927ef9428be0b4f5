// Anthropic Messages API wire format (POST /v1/messages), non-streaming.

import { countChars } from "./completion.ts";
import type { ApiAdapter, FakeError, ParsedRequest } from "./types.ts";
import { isPlainObject } from "../../shared/util/objects.ts";

// Anthropic's documented error type for each HTTP status.
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

// Scripts may use either API's stop vocabulary.
const STOP_REASONS: Record<string, string> = {
  stop: "end_turn",
  tool_calls: "tool_use",
  length: "max_tokens",
};

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

  successBody(req, c, newId) {
    const content: unknown[] = [];
    if (c.text !== undefined) content.push({ type: "text", text: c.text });
    for (const call of c.toolCalls) {
      content.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
    }
    const stop = c.stopReason ? (STOP_REASONS[c.stopReason] ?? c.stopReason) : c.toolCalls.length > 0 ? "tool_use" : "end_turn";
    return {
      id: newId("msg_"),
      type: "message",
      role: "assistant",
      model: req.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: {
        input_tokens: c.usage.input,
        output_tokens: c.usage.output,
        cache_creation_input_tokens: c.usage.cacheWrite,
        cache_read_input_tokens: c.usage.cacheRead,
      },
    };
  },

  errorBody(status, error: FakeError) {
    return {
      type: "error",
      error: {
        type: error.type ?? ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"),
        message: error.message,
      },
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
