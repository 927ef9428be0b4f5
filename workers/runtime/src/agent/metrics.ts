import type { CallbackMetrics } from "../../../../shared/contracts/runtime.ts";
import { modelsInSequence, type ModelsResolved } from "../../../../shared/contracts/models-resolved.ts";
import type { GatewayReply } from "../gateway-client.ts";

/** Usage of one step invocation, accumulated call by call. */
export class MetricsTally {
  private startedAt = Date.now();
  private models: ModelsResolved = {};
  private tokensIn = 0;
  private tokensOut = 0;
  private costUsd = 0;
  private llmCalls = 0;
  private toolCalls = 0;
  private reflectCalls = 0;

  /**
   * An LLM reply: tokens, cost, and the model the gateway resolved. The step reports the model
   * of its last reply (the one its output came from) and, when a group's fallback or round
   * robin had different models answer, all of them.
   */
  addLlmCall(reply: GatewayReply): void {
    this.llmCalls++;
    this.tokensIn += reply.tokens_in;
    this.tokensOut += reply.tokens_out;
    this.costUsd += reply.cost_usd;
    this.models = modelsInSequence([this.models, { model_resolved: reply.model_resolved }]);
  }

  /** A tally that continues from a checkpoint's snapshot (the step's host resumed after an eviction). */
  static continuing(snapshot: CallbackMetrics): MetricsTally {
    const tally = new MetricsTally();
    tally.startedAt = Date.now() - snapshot.duration_ms;
    tally.tokensIn = snapshot.tokens_in;
    tally.tokensOut = snapshot.tokens_out;
    tally.costUsd = snapshot.cost_usd;
    tally.llmCalls = snapshot.llm_calls;
    tally.toolCalls = snapshot.tool_calls;
    tally.reflectCalls = snapshot.reflect_calls ?? 0;
    tally.models = modelsInSequence([snapshot]);
    return tally;
  }

  addToolCall(): void {
    this.toolCalls++;
  }

  addReflectCall(): void {
    this.reflectCalls++;
  }

  snapshot(): CallbackMetrics {
    const metrics: CallbackMetrics = {
      duration_ms: Date.now() - this.startedAt,
      tokens_in: this.tokensIn,
      tokens_out: this.tokensOut,
      // Summing floats drifts (0.1 + 0.2); cost is reported to the nano-dollar.
      cost_usd: Math.round(this.costUsd * 1e9) / 1e9,
      llm_calls: this.llmCalls,
      tool_calls: this.toolCalls,
      ...this.models,
    };
    if (this.reflectCalls > 0) metrics.reflect_calls = this.reflectCalls;
    return metrics;
  }
}
