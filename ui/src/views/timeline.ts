// The run as a timeline: steps and their LLM and tool calls as bars on one time axis.
import { duration } from "../format.ts";
import { html } from "../html.ts";
import { buildTimeline } from "../timeline.ts";
import type { RunRecord, StepView } from "../types.ts";

export function Timeline({ run, steps, now, onSelect }: { run: RunRecord; steps: StepView[]; now: number; onSelect: (id: string) => void }) {
  const { rows, total } = buildTimeline(run, steps, now);
  if (rows.length === 0) return html`<p class="muted">No step has started yet.</p>`;
  const pct = (value: number) => `${((value / total) * 100).toFixed(2)}%`;
  return html`<ol class="timeline" data-testid="timeline">
    ${rows.map(
      (row) => html`<li class=${`tl-row tl-${row.kind}${row.failed ? " tl-failed" : ""}`} data-kind=${row.kind} data-step=${row.step}>
        <button type="button" class="tl-label mono" title=${row.detail} onClick=${() => onSelect(row.step)}>${row.label}</button>
        <span class="tl-track">
          <span class="tl-bar" style=${`left:${pct(row.start)};width:max(2px,${pct(row.end - row.start)})`} title=${`${row.label}: ${duration(row.end - row.start)}${row.detail ? ` (${row.detail})` : ""}`}></span>
        </span>
        <span class="tl-time muted">${duration(row.end - row.start)}</span>
      </li>`,
    )}
  </ol>`;
}
