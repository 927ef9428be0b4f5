// The step's LLM and tool calls with their start and end times, as the orchestrator stores
// them for the run viewer's timeline and the trace spans. Recorded by wrapping the LLM function
// and the toolbox, so the loop itself knows nothing of it. Contents are never kept here.
import type { StepCall } from "../../../../shared/contracts/runtime.ts";
import { MAX_RECORDED_CALLS } from "../../../../shared/otel/limits.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import type { Toolbox } from "../mcp/toolbox.ts";
import type { Llm } from "./reflect.ts";

export class CallTimeline {
  private readonly calls: StepCall[];

  /** `before`: the calls a resumed host recorded before its eviction. */
  constructor(before: readonly StepCall[] = []) {
    this.calls = [...before];
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
      const result = await llm(messages, tools);
      const ended_at = new Date().toISOString();
      if (result.ok) {
        const { reply } = result;
        this.add({
          kind: "llm",
          started_at,
          ended_at,
          group,
          ...(reply.model_resolved ? { model: reply.model_resolved } : {}),
          tokens_in: reply.tokens_in,
          tokens_out: reply.tokens_out,
          cost_usd: reply.cost_usd,
        });
      } else {
        this.add({ kind: "llm", started_at, ended_at, group, tokens_in: 0, tokens_out: 0, cost_usd: 0, error: result.error });
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
          this.add({ kind: "tool", started_at, ended_at: new Date().toISOString(), server, tool: name });
          return result;
        } catch (err) {
          this.add({ kind: "tool", started_at, ended_at: new Date().toISOString(), server, tool: name, error: errorMessage(err) });
          throw err;
        }
      },
    };
  }
}
