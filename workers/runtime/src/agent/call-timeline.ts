// The step's LLM and tool calls with their start and end times, as the orchestrator stores
// them for the run viewer's timeline and the trace spans. Recorded by wrapping the LLM function
// and the toolbox, so the loop itself knows nothing of it. For `ktsu replay` of fanout items
// (which keep no conversation) each LLM call also keeps a fingerprint of the messages it sent,
// and replies and tool results are kept up to a budget (shared/replay/call-record.ts); the
// orchestrator drops those contents for a step that keeps its messages.
import type { ChatMessage, StepCall } from "../../../../shared/contracts/runtime.ts";
import { MAX_RECORDED_CALLS } from "../../../../shared/otel/limits.ts";
import { REPLAY_RECORD_BUDGET, replayContentChars, replyChars } from "../../../../shared/replay/call-record.ts";
import { promptFingerprint } from "../../../../shared/replay/fingerprint.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import type { Toolbox } from "../mcp/toolbox.ts";
import type { Llm } from "./reflect.ts";

/** Masks the messages a fingerprint is computed on, as they are stored. */
export type MaskMessages = (messages: ChatMessage[]) => ChatMessage[];

export class CallTimeline {
  private readonly calls: StepCall[];
  private readonly mask: MaskMessages;
  /** Characters of replies and tool results this attempt may still keep. */
  private budget = REPLAY_RECORD_BUDGET;

  /** `before`: the calls a resumed host recorded before its eviction; `mask`: as the step's messages are stored. */
  constructor(before: readonly StepCall[] = [], mask: MaskMessages = (messages) => messages) {
    this.calls = [...before];
    this.mask = mask;
    // A host resumed after an eviction carries on with what its earlier records took.
    this.budget -= replayContentChars(before);
  }

  /** Whether `chars` more characters fit the replay budget (taken from it when they do). */
  private keeps(chars: number): boolean {
    if (chars > this.budget) return false;
    this.budget -= chars;
    return true;
  }

  list(): StepCall[] {
    return [...this.calls];
  }

  private add(call: StepCall): void {
    if (this.calls.length < MAX_RECORDED_CALLS) this.calls.push(call);
  }

  /** `llm` with each call recorded: the group asked for, the model that answered, tokens and cost. */
  timedLlm(llm: Llm, group: string): Llm {
    return async (messages, tools) => {
      const started_at = new Date().toISOString();
      // Taken before the call: the loop appends to `messages` afterwards.
      const prompt = promptFingerprint(this.mask(messages));
      const result = await llm(messages, tools);
      const ended_at = new Date().toISOString();
      if (result.ok) {
        const { reply } = result;
        const calls = reply.tool_calls ?? [];
        const kept = { content: reply.content, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
        this.add({
          kind: "llm",
          started_at,
          ended_at,
          group,
          ...(reply.model_resolved ? { model: reply.model_resolved } : {}),
          tokens_in: reply.tokens_in,
          tokens_out: reply.tokens_out,
          cost_usd: reply.cost_usd,
          prompt,
          ...(this.keeps(replyChars(kept)) ? { reply: kept } : {}),
        });
      } else {
        this.add({ kind: "llm", started_at, ended_at, group, tokens_in: 0, tokens_out: 0, cost_usd: 0, prompt, error: result.error });
      }
      return result;
    };
  }

  /** `toolbox` with each call recorded under its server's name. */
  timedToolbox(toolbox: Toolbox): Toolbox {
    return {
      get definitions() {
        return toolbox.definitions;
      },
      has: (name) => toolbox.has(name),
      approvalRule: (name) => toolbox.approvalRule(name),
      serverOf: (name) => toolbox.serverOf(name),
      close: () => toolbox.close(),
      call: async (name, args) => {
        const started_at = new Date().toISOString();
        const server = toolbox.serverOf(name) ?? "";
        try {
          const result = await toolbox.call(name, args);
          const kept = this.keeps(result.length) ? { result } : {};
          this.add({ kind: "tool", started_at, ended_at: new Date().toISOString(), server, tool: name, ...kept });
          return result;
        } catch (err) {
          this.add({ kind: "tool", started_at, ended_at: new Date().toISOString(), server, tool: name, error: errorMessage(err) });
          throw err;
        }
      },
    };
  }
}
