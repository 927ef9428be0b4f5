// Cumulative cost of a run over time, from its step events (an SVG step line).
import { costSeries, ticks } from "../cost.ts";
import { usd } from "../format.ts";
import { html } from "../html.ts";
import type { Budget, RunEvent } from "../types.ts";

const W = 640;
const H = 200;
const PAD = { left: 64, right: 30, top: 12, bottom: 30 };

export function CostChart({ events, running, now, budget }: { events: RunEvent[]; running: boolean; now: number; budget: Budget | null }) {
  const series = costSeries(events);
  if (series.start === null) return html`<p class="muted">No events yet.</p>`;
  const last = series.points[series.points.length - 1]!;
  const endMs = Math.max(last.t, running ? now - series.start : 0, 1);
  const xTicks = ticks(endMs / 1000, 4);
  // A run that cost nothing still gets a readable axis.
  const yTicks = ticks(Math.max(series.total, 0.01), 4);
  const xMax = xTicks[xTicks.length - 1]! * 1000;
  const yMax = yTicks[yTicks.length - 1]!;
  const seconds = (s: number) => (xMax < 2000 ? `${Math.round(s * 1000)} ms` : `${s} s`);
  const x = (t: number) => PAD.left + (t / xMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);

  // Step-after: the total holds until the next event changes it.
  let d = `M${x(0)},${y(0)}`;
  for (const p of series.points) d += ` H${x(p.t)} V${y(p.total)}`;
  d += ` H${x(endMs)}`;
  const steps = series.points.filter((p) => p.step !== undefined);

  return html`<figure class="cost-chart" data-testid="cost-chart" data-total=${series.total}>
    <svg viewBox="0 0 ${W} ${H}" width=${W} role="img" aria-label="cost over time">
      ${yTicks.map((v) => html`<g class="tick"><line x1=${PAD.left} x2=${W - PAD.right} y1=${y(v)} y2=${y(v)} /><text x=${PAD.left - 6} y=${y(v) + 4} text-anchor="end">${usd(v)}</text></g>`)}
      ${xTicks.map((s) => html`<text class="tick" x=${x(s * 1000)} y=${H - 10} text-anchor="middle">${seconds(s)}</text>`)}
      <path class="cost-line" d=${d} />
      ${steps.map(
        (p) => html`<circle class="cost-dot${p.delta > 0 ? " paid" : ""}" cx=${x(p.t)} cy=${y(p.total)} r="4">
          <title>${p.step} at ${(p.t / 1000).toFixed(2)} s: +${usd(p.delta)} (total ${usd(p.total)})</title>
        </circle>`,
      )}
    </svg>
    <figcaption>
      Total <strong data-testid="cost-total">${usd(series.total)}</strong>
      ${budget && budget.budget_usd > 0 ? html` of a ${usd(budget.budget_usd)} budget` : null}
      ${budget ? html` · gateway: ${usd(budget.spent_usd)} over ${budget.calls} LLM call${budget.calls === 1 ? "" : "s"}` : null}
    </figcaption>
  </figure>`;
}
