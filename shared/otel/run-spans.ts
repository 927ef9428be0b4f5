// A run's spans, built from its records after the fact: the run, each step, each agent step's
// LLM and tool calls (a fanout's under a span per item), and the queue delivery that started it. Nothing here runs while the run
// does; the ids come from trace-context.ts, so a sub-run's spans (built by its own object) hang
// under its parent's step span. Every string attribute passes through `mask`.

import type { RunRecord, StepRecord } from "../contracts/records.ts";
import type { StepCall } from "../contracts/runtime.ts";
import { type AttributeValue, type Span, SpanKind } from "./span.ts";
import { callSpanId, deliverySpanId, itemSpanId, type RunTrace, runSpanId, stepSpanId } from "./trace-context.ts";

/** A fanout item as its spans need it. */
export interface ItemSpanSource {
  index: number;
  status: string;
  error?: string;
  calls?: readonly StepCall[];
}

export interface RunSpanInput {
  run: RunRecord;
  steps: readonly StepRecord[];
  /** Fanout steps' items by step id: each item that made calls gets a span, its calls under it. */
  items?: ReadonlyMap<string, readonly ItemSpanSource[]>;
  trace: RunTrace;
  /** Masks secret values in a string (the run's scrubber). */
  mask: (text: string) => string;
}

const FAILED_RUN = new Set(["failed", "cancelled"]);

function masked(attributes: Record<string, AttributeValue | undefined>, mask: (text: string) => string): Record<string, AttributeValue | undefined> {
  const out: Record<string, AttributeValue | undefined> = {};
  for (const [key, value] of Object.entries(attributes)) out[key] = typeof value === "string" ? mask(value) : value;
  return out;
}

/** `<provider>/<model-id>` split at the first slash (a model id may contain slashes). */
function providerAndModel(resolved: string | undefined): { provider?: string; model?: string } {
  if (!resolved) return {};
  const slash = resolved.indexOf("/");
  return slash < 0 ? { model: resolved } : { provider: resolved.slice(0, slash), model: resolved.slice(slash + 1) };
}

/** The `index`th call of `caller` (a step id, or `<step>[<item>]` for a fanout item), under `parentSpanId`. */
function callSpan(input: RunSpanInput, caller: string, parentSpanId: string, call: StepCall, index: number): Span {
  const { run, trace } = input;
  const base = {
    traceId: trace.trace_id,
    spanId: callSpanId(run.id, caller, index),
    parentSpanId,
    kind: SpanKind.client,
    start: call.started_at,
    end: call.ended_at,
    ...(call.error ? { error: call.error } : {}),
  };
  if (call.kind === "tool") {
    return {
      ...base,
      name: `execute_tool ${call.tool}`,
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": call.tool,
        "mcp.method.name": "tools/call",
        "ktsu.mcp.server": call.server,
      },
    };
  }
  const { provider, model } = providerAndModel(call.model);
  return {
    ...base,
    name: `chat ${call.group}`,
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.system": provider,
      "gen_ai.provider.name": provider,
      "gen_ai.request.model": call.group,
      "gen_ai.response.model": model,
      "gen_ai.usage.input_tokens": call.tokens_in,
      "gen_ai.usage.output_tokens": call.tokens_out,
      "gen_ai.usage.cost": call.cost_usd,
      "ktsu.cost_usd": call.cost_usd,
    },
  };
}

function stepSpans(input: RunSpanInput, step: StepRecord): Span[] {
  if (!step.started_at) return [];
  const { run, trace } = input;
  const webhook = step.type === "webhook";
  const statusCode = webhook && typeof step.output?.status_code === "number" ? step.output.status_code : undefined;
  const span: Span = {
    traceId: trace.trace_id,
    spanId: stepSpanId(run.id, step.id),
    parentSpanId: runSpanId(run.id),
    name: webhook ? `webhook ${step.id}` : `step ${step.id}`,
    kind: webhook ? SpanKind.client : SpanKind.internal,
    start: step.started_at,
    end: step.ended_at ?? step.started_at,
    attributes: {
      "ktsu.step.id": step.id,
      "ktsu.step.type": step.type,
      "ktsu.step.status": step.status,
      "ktsu.cost_usd": step.metrics.cost_usd,
      "ktsu.step.llm_calls": step.metrics.llm_calls,
      "ktsu.step.tool_calls": step.metrics.tool_calls,
      "gen_ai.usage.input_tokens": step.type === "agent" ? step.metrics.tokens_in : undefined,
      "gen_ai.usage.output_tokens": step.type === "agent" ? step.metrics.tokens_out : undefined,
      "http.response.status_code": statusCode,
      "ktsu.sub_run.id": step.type === "workflow" ? `${run.id}/${step.id}` : undefined,
    },
    ...(step.status === "failed" ? { error: step.error ?? "failed" } : {}),
  };
  const parent = stepSpanId(run.id, step.id);
  const calls = (step.calls ?? []).map((call, index) => callSpan(input, step.id, parent, call, index));
  return [span, ...calls, ...(input.items?.get(step.id) ?? []).flatMap((item) => itemSpans(input, step, item))];
}

/** A fanout item that made calls: its span (from its first call's start to its last call's end) and its calls'. */
function itemSpans(input: RunSpanInput, step: StepRecord, item: ItemSpanSource): Span[] {
  const calls = item.calls ?? [];
  if (calls.length === 0) return [];
  const { run, trace } = input;
  const caller = `${step.id}[${item.index}]`;
  const spanId = itemSpanId(run.id, step.id, item.index);
  const span: Span = {
    traceId: trace.trace_id,
    spanId,
    parentSpanId: stepSpanId(run.id, step.id),
    name: `item ${caller}`,
    kind: SpanKind.internal,
    start: calls.map((call) => call.started_at).sort()[0]!,
    end: calls
      .map((call) => call.ended_at)
      .sort()
      .at(-1)!,
    attributes: {
      "ktsu.step.id": step.id,
      "ktsu.item.index": item.index,
      "ktsu.item.status": item.status,
      "ktsu.cost_usd": calls.reduce((sum, call) => sum + (call.kind === "llm" ? call.cost_usd : 0), 0),
    },
    ...(item.status === "failed" ? { error: item.error ?? "failed" } : {}),
  };
  return [span, ...calls.map((call, index) => callSpan(input, caller, spanId, call, index))];
}

/** The run's spans; a queue-started run gets its delivery span as the run span's parent. */
export function runSpans(input: RunSpanInput): Span[] {
  const { run, trace, mask } = input;
  const queued = run.metadata?.source === "queue";
  const spans: Span[] = [];
  if (queued) {
    spans.push({
      traceId: trace.trace_id,
      spanId: deliverySpanId(run.id),
      ...(trace.parent_span_id ? { parentSpanId: trace.parent_span_id } : {}),
      name: "process ktsu-runs",
      kind: SpanKind.consumer,
      start: run.created_at,
      end: run.created_at,
      attributes: {
        "messaging.system": "cloudflare_queues",
        "messaging.operation.type": "process",
        "messaging.destination.name": "ktsu-runs",
        "messaging.message.id": run.metadata?.message_id,
      },
    });
  }
  const parent = queued ? deliverySpanId(run.id) : trace.parent_span_id;
  spans.push({
    traceId: trace.trace_id,
    spanId: runSpanId(run.id),
    ...(parent ? { parentSpanId: parent } : {}),
    name: run.parent_run_id ? `sub-run ${run.workflow_name}` : `run ${run.workflow_name}`,
    kind: run.parent_run_id || queued ? SpanKind.internal : SpanKind.server,
    start: run.created_at,
    end: run.completed_at ?? run.updated_at,
    attributes: {
      "ktsu.run.id": run.id,
      "ktsu.workflow.name": run.workflow_name,
      "ktsu.run.status": run.status,
      "ktsu.run.parent_id": run.parent_run_id,
      "ktsu.cost_usd": run.cost_usd,
    },
    ...(FAILED_RUN.has(run.status) ? { error: run.error ?? run.status } : {}),
  });
  for (const step of input.steps) spans.push(...stepSpans(input, step));
  return spans.map((span) => ({
    ...span,
    name: mask(span.name),
    attributes: masked(span.attributes, mask),
    ...(span.error ? { error: mask(span.error) } : {}),
  }));
}
