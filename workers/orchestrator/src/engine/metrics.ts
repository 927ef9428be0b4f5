// Step metrics: tokens, cost, LLM/tool/reflect calls, duration and the models that
// answered, per step; summed for fanout items, sub-workflow steps and a step's legs.
//
// Cost: USD amounts are summed as integer nano-dollars (1e-9 USD) and
// converted back once, so sums do not show binary float drift
// (0.1 + 0.2 gives 0.3, not 0.30000000000000004). Precision below 1e-9 USD is
// dropped, far under any provider's pricing unit; integers stay exact up to
// about 9 million USD.

import type { StepMetrics } from "../../../../shared/contracts/metrics.ts";
import { modelsInParallel, modelsInSequence } from "../../../../shared/contracts/models-resolved.ts";

/**
 * `{duration_ms, tokens_in, tokens_out, cost_usd, llm_calls, tool_calls, reflected?, reflect_calls?,
 * model_resolved?, models_resolved?}`; `reflected` / `reflect_calls` are omitted when false / 0.
 */
export type { StepMetrics };

export function zeroMetrics(): StepMetrics {
  return { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 };
}

const NANO = 1e9;

/** Sum of USD amounts, exact to 1e-9 USD. */
export function sumCostUsd(costs: Iterable<number>): number {
  let nanos = 0;
  for (const cost of costs) if (Number.isFinite(cost)) nanos += Math.round(cost * NANO);
  return nanos / NANO;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * Fills missing or invalid fields with zeros, drops `reflected: false` / `reflect_calls: 0`,
 * and keeps the models that answered (a one-model list folded into `model_resolved`).
 */
export function normalizeMetrics(metrics: Partial<StepMetrics> | null | undefined): StepMetrics {
  const result: StepMetrics = {
    duration_ms: num(metrics?.duration_ms),
    tokens_in: num(metrics?.tokens_in),
    tokens_out: num(metrics?.tokens_out),
    cost_usd: num(metrics?.cost_usd),
    llm_calls: num(metrics?.llm_calls),
    tool_calls: num(metrics?.tool_calls),
  };
  if (metrics?.reflected === true) result.reflected = true;
  const reflectCalls = num(metrics?.reflect_calls);
  if (reflectCalls > 0) result.reflect_calls = reflectCalls;
  return { ...result, ...modelsInSequence([metrics]) };
}

export interface SumOptions {
  /**
   * Also sum `duration_ms`. Off by default: fanout items and sub-workflow
   * steps report 0 duration on the aggregate (a sum of parallel parts is not
   * wall time; the envelope recomputes each step's duration from its
   * timestamps). The envelope totals sum it.
   */
  includeDuration?: boolean;
  /**
   * The parts ran one after the other (legs of one step): the step's `model_resolved` is the
   * last part's. Otherwise (fanout items, a sub-run's steps) it is named only when one model
   * answered every part, and `models_resolved` lists them when there were several.
   */
  sequential?: boolean;
}

/**
 * Sums tokens, cost, LLM/tool calls and reflect calls; `reflected` is true if
 * any part reflected; the models that answered are combined (see `sequential`).
 * Used for fanout items (failed ones included), the steps of a sub-workflow
 * and the legs of one step.
 */
export function sumMetrics(parts: Iterable<Partial<StepMetrics> | null | undefined>, options: SumOptions = {}): StepMetrics {
  const list = [...parts].map(normalizeMetrics);
  const total = zeroMetrics();
  let reflectCalls = 0;
  for (const part of list) {
    if (options.includeDuration) total.duration_ms += part.duration_ms;
    total.tokens_in += part.tokens_in;
    total.tokens_out += part.tokens_out;
    total.llm_calls += part.llm_calls;
    total.tool_calls += part.tool_calls;
    reflectCalls += part.reflect_calls ?? 0;
    if (part.reflected) total.reflected = true;
  }
  total.cost_usd = sumCostUsd(list.map((part) => part.cost_usd));
  if (reflectCalls > 0) total.reflect_calls = reflectCalls;
  return { ...total, ...(options.sequential ? modelsInSequence(list) : modelsInParallel(list)) };
}

/** Two metrics added, `b` after `a` (e.g. the resume legs of an approved agent step), duration included. */
export function addMetrics(a: Partial<StepMetrics> | null | undefined, b: Partial<StepMetrics> | null | undefined): StepMetrics {
  return sumMetrics([a, b], { includeDuration: true, sequential: true });
}
