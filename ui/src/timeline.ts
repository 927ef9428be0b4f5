// A run as a timeline: one row per started step and, under an agent step, one per LLM or tool
// call, each placed by its recorded start and end (the step records' times and `calls`).
import type { RunRecord, StepView } from "./types.ts";

export interface TimelineRow {
  kind: "step" | "llm" | "tool";
  label: string;
  /** What the row's tooltip and caption add: model, tokens, cost, server. */
  detail: string;
  /** Offsets from the run's start, in ms. */
  start: number;
  end: number;
  failed: boolean;
  step: string;
}

export interface Timeline {
  rows: TimelineRow[];
  /** The run's span in ms (at least 1, so an instant run still draws). */
  total: number;
}

function ms(time: string | undefined, origin: number): number | undefined {
  if (!time) return undefined;
  const t = Date.parse(time);
  return Number.isFinite(t) ? Math.max(0, t - origin) : undefined;
}

/** The timeline of `run`; a running step ends at `now`. */
export function buildTimeline(run: RunRecord, steps: readonly StepView[], now: number): Timeline {
  const origin = Date.parse(run.created_at);
  const rows: TimelineRow[] = [];
  const started = steps.filter((s) => s.started_at).sort((a, b) => a.seq - b.seq);
  for (const step of started) {
    const start = ms(step.started_at, origin) ?? 0;
    const end = ms(step.ended_at, origin) ?? Math.max(start, now - origin);
    const cost = step.metrics.cost_usd > 0 ? `, $${step.metrics.cost_usd.toFixed(6)}` : "";
    rows.push({ kind: "step", label: step.id, detail: `${step.type}, ${step.status}${cost}`, start, end, failed: step.status === "failed", step: step.id });
    for (const call of step.calls ?? []) {
      const callStart = ms(call.started_at, origin) ?? start;
      const callEnd = ms(call.ended_at, origin) ?? callStart;
      const failed = call.error !== undefined;
      if (call.kind === "llm") {
        rows.push({
          kind: "llm",
          label: `LLM ${call.model ?? call.group}`,
          detail: `${call.tokens_in} in / ${call.tokens_out} out, $${call.cost_usd.toFixed(6)}${failed ? `, ${call.error}` : ""}`,
          start: callStart,
          end: callEnd,
          failed,
          step: step.id,
        });
      } else {
        rows.push({
          kind: "tool",
          label: `tool ${call.server}.${call.tool}`,
          detail: failed ? call.error! : "",
          start: callStart,
          end: callEnd,
          failed,
          step: step.id,
        });
      }
    }
  }
  const runEnd = ms(run.completed_at ?? run.updated_at, origin) ?? 0;
  const total = Math.max(1, runEnd, ...rows.map((r) => r.end));
  return { rows, total };
}
