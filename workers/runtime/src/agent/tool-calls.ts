// Executing the tool calls the model asked for and, on a resume, the calls the
// previous invocation left unanswered. Calls run one at a time, in
// order; a checkpoint follows every recorded result so a re-dispatch never repeats one.
import type { ChatMessage, PendingApproval, ToolCall } from "../../../../shared/contracts/runtime.ts";
import type { Toolbox } from "../mcp/toolbox.ts";
import type { MetricsTally } from "./metrics.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";

/** What the model reads for a call outside its allowlist; the call is never executed. */
export const notPermittedResult = (name: string) => `tool_not_permitted: ${name}`;

/** What the model reads for a call whose outcome was lost to an eviction: at most once, never retried. */
export const INTERRUPTED_RESULT =
  "tool call interrupted: the runtime stopped before its result was recorded; it was not retried and may or may not have taken effect";

export type ToolStepOutcome = { kind: "continue" } | { kind: "failed"; error: string } | { kind: "pending_approval"; pending: PendingApproval };

export interface ToolContext {
  toolbox: Toolbox;
  metrics: MetricsTally;
  /** Stores the conversation so far; awaited so a result is durable before the next call. */
  checkpoint(): Promise<void>;
  /** The step host's log of calls; without one (a test's loop) nothing is known about unanswered calls. */
  callLog?: CallLog;
}

/**
 * What the step's host knows about tool calls across its own evictions: which calls it
 * started (logged durably before each one runs) and which its own LLM replies asked for
 * (as opposed to calls inherited from the request's messages, whose fate it cannot know).
 */
export interface CallLog {
  started(callId: string): boolean;
  askedHere(callId: string): boolean;
  recordStart(callId: string): Promise<void>;
}

/** Runs one permitted call and records its result; returns an error text on failure. */
async function execute(call: ToolCall, messages: ChatMessage[], ctx: ToolContext): Promise<string | undefined> {
  let result: string;
  if (!ctx.toolbox.has(call.name)) {
    result = notPermittedResult(call.name);
  } else {
    await ctx.callLog?.recordStart(call.id);
    try {
      result = await ctx.toolbox.call(call.name, call.arguments);
    } catch (err) {
      return `tool call ${call.name}: ${errorMessage(err)}`;
    }
    ctx.metrics.addToolCall();
  }
  messages.push({ role: "tool", tool_call_id: call.id, content: result });
  await ctx.checkpoint();
  return undefined;
}

/**
 * Records the model's reply with tool calls and runs them. An approval-gated call stops
 * the batch: the calls before it keep their results, the gated call becomes the last
 * message on its own (so the conversation ends with it), and later calls are dropped.
 */
export async function runToolCalls(content: string, calls: ToolCall[], messages: ChatMessage[], ctx: ToolContext): Promise<ToolStepOutcome> {
  const assistant: ChatMessage = { role: "assistant", content, tool_calls: calls };
  messages.push(assistant);
  await ctx.checkpoint();
  return runBatchFrom(assistant, 0, messages, ctx);
}

/** Runs the assistant message's calls from `start` on, in order, stopping at an approval-gated one. */
async function runBatchFrom(assistant: ChatMessage, start: number, messages: ChatMessage[], ctx: ToolContext): Promise<ToolStepOutcome> {
  const calls = assistant.tool_calls ?? [];
  for (let index = start; index < calls.length; index++) {
    const call = calls[index]!;
    const rule = ctx.toolbox.has(call.name) ? ctx.toolbox.approvalRule(call.name) : undefined;
    if (rule) {
      if (index === 0) {
        assistant.tool_calls = [call];
      } else {
        assistant.tool_calls = calls.slice(0, index);
        messages.push({ role: "assistant", content: "", tool_calls: [call] });
      }
      return {
        kind: "pending_approval",
        pending: {
          tool_name: call.name,
          tool_use_id: call.id,
          arguments: call.arguments,
          on_reject: rule.on_reject,
          timeout_ms: rule.timeout_ms,
          timeout_behavior: rule.timeout_behavior,
        },
      };
    }
    const error = await execute(call, messages, ctx);
    if (error) return { kind: "failed", error };
  }
  return { kind: "continue" };
}

/**
 * Before a resumed loop: answers the calls of the last assistant message that have no
 * result yet. Approved ones run now (no second approval). A call known never to have
 * started (the host was lost between two calls) runs with the rest of its batch, approval
 * gates included. Any other one may have been cut off mid-flight and is reported as
 * interrupted instead of being repeated.
 */
export async function settlePendingCalls(messages: ChatMessage[], approved: ReadonlySet<string>, ctx: ToolContext): Promise<ToolStepOutcome> {
  let index = messages.length - 1;
  while (index >= 0 && !(messages[index]!.role === "assistant" && messages[index]!.tool_calls?.length)) index--;
  if (index < 0) return { kind: "continue" };
  const assistant = messages[index]!;
  const answered = new Set(messages.slice(index + 1).flatMap((m) => (m.role === "tool" && m.tool_call_id ? [m.tool_call_id] : [])));
  const calls = assistant.tool_calls!;
  for (const [position, call] of calls.entries()) {
    if (answered.has(call.id)) continue;
    const log = ctx.callLog;
    if (log?.started(call.id)) {
      messages.push({ role: "tool", tool_call_id: call.id, content: INTERRUPTED_RESULT });
      await ctx.checkpoint();
    } else if (approved.has(call.id)) {
      const error = await execute(call, messages, ctx);
      if (error) return { kind: "failed", error };
    } else if (log?.askedHere(call.id)) {
      return runBatchFrom(assistant, position, messages, ctx);
    } else {
      messages.push({ role: "tool", tool_call_id: call.id, content: INTERRUPTED_RESULT });
      await ctx.checkpoint();
    }
  }
  return { kind: "continue" };
}
