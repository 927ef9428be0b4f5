// How much of a fanout item's conversation its call records keep for `ktsu replay`. An item
// keeps no messages (a wide fanout would store every item's conversation), so its LLM calls
// keep a fingerprint of what they sent, plus the replies and tool results a replay must serve
// to reach the item's last call. The last reply of a successful item is its output, stored
// anyway, so it is not kept twice (unless the output had reserved fields the Store strips). Replies and results are kept up to REPLAY_RECORD_BUDGET
// characters per item: a tool returning large documents cannot grow an item's record without
// bound (the calls after the budget keep their fingerprints; the replay reports what it lacks).

import type { StepCall, ToolCall } from "../contracts/runtime.ts";

/** Characters of replies and tool results one step attempt keeps for its replay. */
export const REPLAY_RECORD_BUDGET = 16_000;

/** The call without the content kept for a replay (the fingerprint stays: it is short). */
export function withoutReplayContent(call: StepCall): StepCall {
  if (call.kind === "llm" && call.reply) {
    const { reply: _reply, ...rest } = call;
    return rest;
  }
  if (call.kind === "tool" && call.result !== undefined) {
    const { result: _result, ...rest } = call;
    return rest;
  }
  return call;
}

/**
 * A successful step's calls with the last LLM call's reply dropped: that reply is the step's
 * `output`. Kept when the output has reserved `ktsu_*` fields: the orchestrator strips those
 * from what it stores, and a replay must give them back (a confidence, a skip reason).
 */
export function withoutFinalReply(calls: StepCall[], output: Record<string, unknown>): StepCall[] {
  if (Object.keys(output).some((key) => key.startsWith("ktsu_"))) return calls;
  for (let i = calls.length - 1; i >= 0; i--) {
    const call = calls[i]!;
    if (call.kind !== "llm") continue;
    if (!call.reply || (call.reply.tool_calls?.length ?? 0) > 0) return calls;
    return calls.map((c, index) => (index === i ? withoutReplayContent(c) : c));
  }
  return calls;
}

/** What a kept reply takes of REPLAY_RECORD_BUDGET: its text and its tool calls as JSON. */
export function replyChars(reply: { content: string; tool_calls?: ToolCall[] }): number {
  return reply.content.length + (reply.tool_calls?.length ? JSON.stringify(reply.tool_calls).length : 0);
}

/** Characters of replay content the calls hold (what they took of REPLAY_RECORD_BUDGET). */
export function replayContentChars(calls: readonly StepCall[]): number {
  let chars = 0;
  for (const call of calls) {
    if (call.kind === "tool") chars += call.result?.length ?? 0;
    else if (call.reply) chars += replyChars(call.reply);
  }
  return chars;
}

/** Whether any call still holds replay content (so it is worth copying the list without it). */
export function holdsReplayContent(calls: readonly StepCall[]): boolean {
  return calls.some((call) => (call.kind === "llm" && call.reply !== undefined) || (call.kind === "tool" && call.result !== undefined));
}
