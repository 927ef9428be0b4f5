// OpenAI Chat Completions wire format (POST /v1/chat/completions), non-streaming. Replies are
// typed with the official SDK's types (type-only: nothing of the SDK is loaded), so a field the
// real API does not have, or lacks, fails the typecheck.

import type { ChatCompletion, ChatCompletionMessage } from "openai/resources/chat/completions/completions";
import type { ErrorObject } from "openai/resources/shared";
import { countChars } from "./completion.ts";
import type { ApiAdapter, FakeError, ParsedRequest } from "./types.ts";
import { isPlainObject } from "../../shared/util/objects.ts";

type FinishReason = ChatCompletion.Choice["finish_reason"];

const OPENAI_FINISH_REASONS: ReadonlySet<string> = new Set<FinishReason>(["stop", "length", "tool_calls", "content_filter", "function_call"]);

// Scripts may use either API's stop vocabulary.
const FROM_ANTHROPIC: Readonly<Record<string, FinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  tool_use: "tool_calls",
  max_tokens: "length",
  refusal: "content_filter",
};

/** A scripted stop reason in OpenAI's words; one neither API knows falls back to the default. */
function finishReason(scripted: string | undefined, fallback: FinishReason): FinishReason {
  if (scripted === undefined) return fallback;
  if (OPENAI_FINISH_REASONS.has(scripted)) return scripted as FinishReason;
  return FROM_ANTHROPIC[scripted] ?? fallback;
}

function errorType(status: number): string {
  if (status === 429) return "rate_limit_exceeded";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export const openai: ApiAdapter = {
  api: "openai",
  toolCallIdPrefix: "call_",

  checkAuth(headers) {
    const match = /^Bearer\s+(\S.*)$/i.exec(headers.authorization ?? "");
    return match ? null : "Incorrect API key provided. You must pass a Bearer token in the Authorization header.";
  },

  parse(body): ParsedRequest | string {
    if (!isPlainObject(body)) return "request body must be a JSON object";
    if (typeof body.model !== "string" || !body.model) return "you must provide a model parameter";
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return "'messages' must contain at least one message";
    }
    const messages = body.messages.filter(isPlainObject);
    // "developer" is the newer name OpenAI uses for system instructions.
    const system = messages
      .filter((m) => m.role === "system" || m.role === "developer")
      .map((m) => textOf(m.content))
      .join("\n");
    const user = messages
      .filter((m) => m.role === "user")
      .map((m) => textOf(m.content))
      .filter(Boolean);
    return {
      model: body.model,
      system,
      lastUserText: user.at(-1) ?? "",
      assistantTurns: (body.messages as Array<{ role?: unknown }>).filter((m) => isPlainObject(m) && m.role === "assistant").length,
      inputChars: countChars(body.messages),
      responseSchema: responseFormatSchema(body.response_format),
    };
  },

  successBody(req, c, newId): ChatCompletion {
    const message: ChatCompletionMessage = {
      role: "assistant",
      content: c.text ?? null,
      refusal: null,
    };
    if (c.toolCalls.length > 0) {
      message.tool_calls = c.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      }));
    }
    const finish = finishReason(c.stopReason, c.toolCalls.length > 0 ? "tool_calls" : "stop");
    // OpenAI's prompt_tokens includes cached tokens; FakeUsage.input_tokens does not.
    const prompt = c.usage.input + c.usage.cacheRead + c.usage.cacheWrite;
    return {
      id: newId("chatcmpl-"),
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: req.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: c.usage.output,
        total_tokens: prompt + c.usage.output,
        prompt_tokens_details: { cached_tokens: c.usage.cacheRead },
      },
    };
  },

  errorBody(status, error: FakeError): { error: ErrorObject } {
    return {
      error: {
        message: error.message,
        type: error.type ?? errorType(status),
        param: null,
        code: error.code ?? (status === 401 ? "invalid_api_key" : null),
      },
    };
  },
};

/** Text of message `content`: a string or an array of content parts. */
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  return value
    .filter((p): p is Record<string, unknown> => isPlainObject(p) && typeof p.text === "string")
    .map((p) => p.text as string)
    .join("\n");
}

function responseFormatSchema(format: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(format) || format.type !== "json_schema" || !isPlainObject(format.json_schema)) return undefined;
  const schema = format.json_schema.schema;
  return isPlainObject(schema) ? schema : undefined;
}
