// The run's cost over time, from its events: each settled step event carries the
// step's `cost_usd`. A step can report again (a needs_human step completes after
// approval), so the total sums the latest figure per step.
import type { RunEvent } from "./types.ts";

export interface CostPoint {
  /** Milliseconds since the run started. */
  t: number;
  /** Cumulative USD at that moment. */
  total: number;
  /** The step whose event this is; absent for the run's start and end. */
  step?: string;
  /** What this event added. */
  delta: number;
}

export interface CostSeries {
  /** Epoch ms of the run's start, or null before any event. */
  start: number | null;
  points: CostPoint[];
  total: number;
}

const RUN_ENDS = new Set(["run_completed", "run_failed", "run_needs_human", "run_cancelled"]);

export function costSeries(events: readonly RunEvent[]): CostSeries {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  if (sorted.length === 0) return { start: null, points: [], total: 0 };
  const start = Date.parse(sorted[0]!.created_at);
  const perStep = new Map<string, number>();
  let total = 0;
  const points: CostPoint[] = [{ t: 0, total: 0, delta: 0 }];
  for (const event of sorted) {
    const t = Math.max(0, Date.parse(event.created_at) - start);
    const cost = event.data?.cost_usd;
    if (event.step_id && typeof cost === "number" && Number.isFinite(cost)) {
      const before = total;
      perStep.set(event.step_id, cost);
      total = [...perStep.values()].reduce((a, b) => a + b, 0);
      points.push({ t, total, step: event.step_id, delta: total - before });
    } else if (RUN_ENDS.has(event.type)) {
      points.push({ t, total, delta: 0 });
    }
  }
  return { start, points, total };
}

/** Round tick values for an axis from 0 to max (at least one step). */
export function ticks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}
