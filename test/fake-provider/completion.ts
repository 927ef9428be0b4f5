// Turns a scripted (or empty) FakeReply into an API-neutral Completion.

import { defaultReplyText } from "./default-responder.ts";
import type { Completion, FakeReply, ParsedRequest } from "./types.ts";

export function buildCompletion(req: ParsedRequest, reply: FakeReply, newToolCallId: () => string): Completion {
  const toolCalls = (reply.tool_calls ?? []).map((call) => ({
    id: call.id ?? newToolCallId(),
    name: call.name,
    arguments: call.arguments ?? {},
  }));
  // A reply scripting neither text nor tool calls (e.g. only usage or a delay)
  // still needs content, so it borrows the default responder's text.
  const text = reply.text ?? (toolCalls.length === 0 ? defaultReplyText(req) : undefined);

  const outputChars = (text?.length ?? 0) + toolCalls.reduce((n, c) => n + c.name.length + JSON.stringify(c.arguments).length, 0);
  const u = reply.usage ?? {};
  return {
    text,
    toolCalls,
    stopReason: reply.stop_reason,
    usage: {
      input: u.input_tokens ?? estimateTokens(req.inputChars),
      output: u.output_tokens ?? estimateTokens(outputChars),
      cacheRead: u.cache_read_tokens ?? 0,
      cacheWrite: u.cache_write_tokens ?? 0,
    },
  };
}

export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

// Keys whose string values are structure, not prompt text.
const METADATA_KEYS = new Set(["type", "role", "id", "tool_use_id", "tool_call_id", "cache_control"]);

/** Sums the length of the text strings in a JSON value: a cheap stand-in for "characters in the prompt". */
export function countChars(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countChars(v), 0);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).reduce((n: number, [k, v]) => n + (METADATA_KEYS.has(k) ? 0 : countChars(v)), 0);
  }
  return 0;
}
