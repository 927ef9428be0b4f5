// The OpenAI Chat Completions shapes the replay server reads and answers with.

import type { ChatMessage, ToolCall } from "../../../shared/contracts/runtime.ts";

function argumentsOf(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "string") return raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { _raw: raw };
  } catch {
    return { _raw: raw };
  }
}

/** A request message back in the runtime's shape, to compare with the recorded conversation. */
export function fromOpenAIMessage(raw: unknown): ChatMessage {
  const m = (raw ?? {}) as { role?: unknown; content?: unknown; tool_calls?: unknown; tool_call_id?: unknown };
  const message: ChatMessage = { role: String(m.role ?? "user") as ChatMessage["role"], content: typeof m.content === "string" ? m.content : "" };
  if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
    message.tool_calls = m.tool_calls.map((c: { id?: unknown; function?: { name?: unknown; arguments?: unknown } }) => ({
      id: String(c.id ?? ""),
      name: String(c.function?.name ?? ""),
      arguments: argumentsOf(c.function?.arguments),
    }));
  }
  if (typeof m.tool_call_id === "string") message.tool_call_id = m.tool_call_id;
  return message;
}

export function openAIReply(model: string, reply: { content: string; tool_calls: ToolCall[] }): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content: reply.content };
  if (reply.tool_calls.length > 0) {
    message.tool_calls = reply.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  }
  return {
    id: "chatcmpl-replay",
    object: "chat.completion",
    model,
    choices: [{ index: 0, message, finish_reason: reply.tool_calls.length > 0 ? "tool_calls" : "stop" }],
    // Usage is not recorded per call; the replay reports outputs, not spend.
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

export function openAIError(message: string): Record<string, unknown> {
  return { error: { type: "invalid_request_error", message } };
}
