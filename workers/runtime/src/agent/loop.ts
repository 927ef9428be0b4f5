// The agent loop: LLM turns through the gateway, native tool calls over MCP,
// JSON output with correction turns, the forced final turn, the free correction call,
// then reflect. Returns the callback's outcome; never throws for an expected failure.
import type { ChatMessage, InvokeRequest, PendingApproval } from "../../../../shared/contracts/runtime.ts";
import type { Toolbox } from "../mcp/toolbox.ts";
import { extractOutput } from "./extract.ts";
import type { MetricsTally } from "./metrics.ts";
import { FINAL_TURN_INSTRUCTION, INVALID_JSON_CORRECTION, initialMessages } from "./prompt.ts";
import { applyReflect, type Llm } from "./reflect.ts";
import { type CallLog, runToolCalls, settlePendingCalls, type ToolContext } from "./tool-calls.ts";

export const MAX_TURNS_EXCEEDED = "max_turns_exceeded";

export type LoopOutcome =
  | { status: "ok"; output: Record<string, unknown>; messages: ChatMessage[] }
  | { status: "failed"; error: string; raw_output?: string; messages: ChatMessage[] }
  | { status: "pending_approval"; pending: PendingApproval; messages: ChatMessage[] };

export interface LoopDeps {
  llm: Llm;
  toolbox: Toolbox;
  metrics: MetricsTally;
  /** Stores the conversation after `turn` changed it (failures are the caller's to log). */
  checkpoint(turn: number, messages: ChatMessage[]): Promise<void>;
  /** The step host's log of tool calls (see CallLog). */
  callLog?: CallLog;
}

function isResume(request: InvokeRequest): boolean {
  return request.is_resume === true && Array.isArray(request.messages) && request.messages.length > 0;
}

/** The first turn: 1, or after an eviction the turn after the checkpoint's (the final turn at most). */
function firstTurn(request: InvokeRequest): number {
  const done = request.resume_turn;
  if (!isResume(request) || typeof done !== "number" || !Number.isInteger(done) || done < 1) return 1;
  return Math.min(done + 1, request.max_turns);
}

export async function runLoop(request: InvokeRequest, deps: LoopDeps): Promise<LoopOutcome> {
  const { llm, toolbox, metrics } = deps;
  // A resume continues the stored conversation verbatim; its system prompt is not rebuilt.
  const messages: ChatMessage[] = isResume(request) ? structuredClone(request.messages!) : initialMessages(request);
  const failed = (error: string, raw_output?: string): LoopOutcome =>
    raw_output === undefined ? { status: "failed", error, messages } : { status: "failed", error, raw_output, messages };
  const toolContext = (turn: number): ToolContext => ({
    toolbox,
    metrics,
    checkpoint: () => deps.checkpoint(turn, messages),
    ...(deps.callLog ? { callLog: deps.callLog } : {}),
  });

  if (isResume(request)) {
    // Settling belongs to the turn the checkpoint ended in, so a later resume does not count it twice.
    const settled = await settlePendingCalls(messages, new Set(request.approved_tool_calls ?? []), toolContext(firstTurn(request) - 1));
    if (settled.kind === "failed") return failed(settled.error);
  }

  let lastInvalid: string | undefined;
  for (let turn = firstTurn(request); turn <= request.max_turns; turn++) {
    const finalTurn = turn === request.max_turns;
    if (finalTurn) messages.push({ role: "user", content: FINAL_TURN_INSTRUCTION });
    const result = await llm(messages, finalTurn ? undefined : toolbox.definitions);
    if (!result.ok) return failed(result.error);
    const reply = result.reply;
    metrics.addLlmCall(reply);

    // Tool calls on the final turn (tools were not offered) still run; the loop then ends.
    if (reply.tool_calls && reply.tool_calls.length > 0) {
      // Providers pair results to calls by id; a missing one gets an id unique within the step.
      const calls = reply.tool_calls.map((call, i) => (call.id ? call : { ...call, id: `ktsu_call_${turn}_${i}` }));
      const outcome = await runToolCalls(reply.content, calls, messages, toolContext(turn));
      if (outcome.kind === "failed") return failed(outcome.error);
      if (outcome.kind === "pending_approval") return { status: "pending_approval", pending: outcome.pending, messages };
      continue;
    }

    const extracted = extractOutput(reply.content);
    if (!extracted.ok) {
      lastInvalid = reply.content;
      messages.push({ role: "assistant", content: reply.content }, { role: "user", content: INVALID_JSON_CORRECTION });
      await deps.checkpoint(turn, messages);
      continue;
    }
    messages.push({ role: "assistant", content: reply.content });
    const reflected = await applyReflect(request, extracted.output, llm, metrics);
    if (!reflected.ok) return failed(reflected.error, reflected.raw_output);
    return { status: "ok", output: reflected.output, messages };
  }

  if (lastInvalid === undefined) return failed(MAX_TURNS_EXCEEDED);
  // One free correction call without tools; a success here skips reflect.
  const correction = await llm(messages);
  if (!correction.ok) return failed(MAX_TURNS_EXCEEDED, lastInvalid);
  metrics.addLlmCall(correction.reply);
  const extracted = extractOutput(correction.reply.content);
  if (!extracted.ok) return failed(MAX_TURNS_EXCEEDED, lastInvalid);
  messages.push({ role: "assistant", content: correction.reply.content });
  return { status: "ok", output: extracted.output, messages };
}
