// A recorded step's LLM calls, turn by turn: the request the runtime sent (the conversation
// before the turn's reply) and the reply, plus the tool results it got. Recorded steps keep
// the whole conversation; fanout items keep a fingerprint per request and the replies their
// later calls depend on (their last reply is their output); hand-written cases give the
// replies (and tool results) alone.

import type { ChatMessage, ToolCall } from "../../../shared/contracts/runtime.ts";
import type { HandReply, RecordedCall, RecordedStep } from "./recording.ts";

export interface RecordedTurn {
  /** The messages sent for this turn; null for fanout items and hand-written replies. */
  request: ChatMessage[] | null;
  /** A fanout item's turn: the fingerprint of the messages sent (shared/replay/fingerprint.ts). */
  fingerprint?: string;
  /** A fanout item's turn: `<provider>/<model>` that answered it. */
  model?: string;
  /** Null when the recording kept no reply for this turn (a failed call, or past the item's record budget). */
  reply: { content: string; tool_calls: ToolCall[] } | null;
}

function handReply(reply: HandReply | string, turn: number): RecordedTurn["reply"] {
  if (typeof reply === "string") return { content: reply, tool_calls: [] };
  const content = typeof reply.content === "string" ? reply.content : reply.content === undefined ? "" : JSON.stringify(reply.content);
  const calls = (reply.tool_calls ?? []).map((call, i) => ({ id: call.id ?? `call_${turn}_${i}`, name: call.name, arguments: call.arguments ?? {} }));
  return { content, tool_calls: calls };
}

type LlmCall = Extract<RecordedCall, { kind: "llm" }>;

/** Whether an item's calls can be checked: the recording kept its requests' fingerprints. */
function hasFingerprints(step: RecordedStep): boolean {
  return (step.calls ?? []).some((call) => call.kind === "llm" && call.prompt !== undefined);
}

/** An item's turns from its call records; the last reply of a complete item is its output. */
function turnsOfCalls(step: RecordedStep): RecordedTurn[] {
  const llmCalls = (step.calls ?? []).filter((call): call is LlmCall => call.kind === "llm");
  return llmCalls.map((call, i) => {
    const last = i === llmCalls.length - 1;
    const reply = call.reply
      ? { content: call.reply.content, tool_calls: call.reply.tool_calls ?? [] }
      : last && step.status === "complete" && step.output && !call.error
        ? { content: JSON.stringify(step.output), tool_calls: [] }
        : null;
    return { request: null, ...(call.prompt ? { fingerprint: call.prompt } : {}), ...(call.model ? { model: call.model } : {}), reply };
  });
}

/** The step's turns in order (1-based turn k is index k-1). */
export function turnsOf(step: RecordedStep): RecordedTurn[] {
  if (hasFingerprints(step)) return turnsOfCalls(step);
  if (step.messages) {
    const turns: RecordedTurn[] = [];
    step.messages.forEach((message, i) => {
      if (message.role !== "assistant") return;
      turns.push({ request: step.messages!.slice(0, i), reply: { content: message.content, tool_calls: message.tool_calls ?? [] } });
    });
    return turns;
  }
  return (step.replies ?? []).map((reply, i) => ({ request: null, reply: handReply(reply, i + 1) }));
}

const ITEM_ID = /^(.+)\.(\d+)$/;

/**
 * The recording of a step, or of a fanout item (`<step>.<index>`). An item recorded with its
 * calls' fingerprints is answered turn by turn and its requests are checked; an item recorded
 * before those were kept (or one the recording lacks, in a hand-written case listing only its
 * parent's output) is answered with its recorded output as the model's one reply, `unchecked`.
 */
export function recordedStep(steps: readonly RecordedStep[], run: string, id: string): RecordedStep | undefined {
  const own = steps.find((s) => s.run === run && s.id === id);
  if (own && (own.item === undefined || hasFingerprints(own))) return own;
  const match = ITEM_ID.exec(id);
  if (!match) return undefined;
  const parent = steps.find((s) => s.run === run && s.id === match[1]);
  const results = parent?.output?.results;
  const item = own ? own.output : Array.isArray(results) ? (results[Number(match[2])] as unknown) : undefined;
  if (item === null || typeof item !== "object" || "ktsu_error" in item) return undefined;
  return { run, id, replies: [{ content: item as Record<string, unknown> }], ...(own ? { unchecked: true as const } : {}) };
}

/** Deep equality of JSON values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((item, i) => sameJson(item, (b as unknown[])[i]));
  const keysA = Object.keys(a);
  const recordB = b as Record<string, unknown>;
  return keysA.length === Object.keys(recordB).length && keysA.every((key) => key in recordB && sameJson((a as Record<string, unknown>)[key], recordB[key]));
}

/**
 * The recorded result of a tool call: the tool message answering the recorded call with the
 * same name and arguments (the replayed model asks exactly what the recording asked), or a
 * hand-written result by tool name. Undefined when the recording has none.
 */
export function recordedToolResult(steps: readonly RecordedStep[], name: string, args: Record<string, unknown>): string | undefined {
  for (const step of steps) {
    const fromCalls = itemToolResult(step.calls ?? [], name, args);
    if (fromCalls !== undefined) return fromCalls;
    const messages = step.messages ?? [];
    for (const message of messages) {
      const call = message.tool_calls?.find((c) => c.name === name && sameJson(c.arguments, args));
      if (!call) continue;
      const answer = messages.find((m) => m.role === "tool" && m.tool_call_id === call.id);
      if (answer) return answer.content;
    }
    const hand = step.tool_results?.[name];
    if (hand !== undefined) return hand;
  }
  return undefined;
}

/**
 * A fanout item's recorded result for a call: its tool records follow the reply that asked for
 * them, in the reply's order (a call outside the allowlist has no record: it never ran).
 */
function itemToolResult(calls: readonly RecordedCall[], name: string, args: Record<string, unknown>): string | undefined {
  let asked: ToolCall[] = [];
  for (const call of calls) {
    if (call.kind === "llm") {
      asked = [...(call.reply?.tool_calls ?? [])];
      continue;
    }
    while (asked.length > 0 && asked[0]!.name !== call.tool) asked.shift();
    const request = asked.shift();
    if (request && request.name === name && call.result !== undefined && sameJson(request.arguments, args)) return call.result;
  }
  return undefined;
}

/** Every tool name the recording's replies call, for the MCP stand-in's `tools/list`. */
export function recordedToolNames(steps: readonly RecordedStep[]): string[] {
  const names = new Set<string>();
  for (const step of steps) {
    for (const turn of turnsOf(step)) for (const call of turn.reply?.tool_calls ?? []) names.add(call.name);
    for (const name of Object.keys(step.tool_results ?? {})) names.add(name);
  }
  return [...names];
}
