import type { Envelope, EnvelopeStep, RunRecord, StepRecord } from "../../../../shared/contracts/records.ts";
import { sumCostUsd } from "../engine/metrics.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";
const SHOWN = new Set(["complete", "failed", "skipped", "pending_approval", "needs_human"]);

/**
 * The envelope (`GET /runs/{id}/envelope`), assembled from the stored run and steps: settled
 * steps in execution order, durations recomputed from timestamps, totals summed.
 */
export function assembleEnvelope(run: RunRecord, steps: StepRecord[]): Envelope {
  const shown = steps.filter((s) => SHOWN.has(s.status)).sort((a, b) => a.seq - b.seq);
  const envelopeSteps = shown.map((step): EnvelopeStep => {
    const metrics = { ...step.metrics };
    if (step.started_at && step.ended_at) metrics.duration_ms = Date.parse(step.ended_at) - Date.parse(step.started_at);
    return {
      id: step.id,
      output: step.output ?? {},
      metrics,
      timestamp: step.ended_at ?? ZERO_TIME,
      status: step.status,
      ...(step.error ? { error: step.error } : {}),
    };
  });
  const totals = { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 };
  for (const { metrics } of envelopeSteps) {
    totals.duration_ms += metrics.duration_ms;
    totals.tokens_in += metrics.tokens_in;
    totals.tokens_out += metrics.tokens_out;
    totals.llm_calls += metrics.llm_calls;
    totals.tool_calls += metrics.tool_calls;
  }
  totals.cost_usd = sumCostUsd(envelopeSteps.map((s) => s.metrics.cost_usd));
  return {
    run_id: run.id,
    workflow: run.workflow_name,
    status: run.status,
    ...(run.error ? { error: run.error } : {}),
    ...(run.payload ? { payload: run.payload } : {}),
    steps: envelopeSteps.length > 0 ? envelopeSteps : null,
    totals,
  };
}
