// Every pending approval across runs, with approve / reject.
import { useState } from "preact/hooks";
import { listApprovals } from "../api.ts";
import { time, usd } from "../format.ts";
import { usePolled } from "../hooks.ts";
import { html } from "../html.ts";
import { runHref } from "../route.ts";
import { DecisionButtons, ErrorBox, Json } from "./common.ts";

export function Approvals() {
  const approvals = usePolled(listApprovals, 3000, []);
  const [decided, setDecided] = useState<string[]>([]);
  const done = (key: string, decision: string) => {
    setDecided((d) => [`${key}: ${decision}`, ...d].slice(0, 5));
    approvals.reload();
  };
  return html`<section>
    <div class="toolbar"><h1>Pending approvals</h1></div>
    <${ErrorBox} error=${approvals.error} />
    ${decided.map((d) => html`<p class="notice" data-testid="decided">${d}</p>`)}
    ${
      approvals.data === undefined
        ? html`<p class="muted">Loading…</p>`
        : approvals.data.length === 0
          ? html`<p class="empty" data-testid="no-approvals">Nothing is waiting for a decision.</p>`
          : html`<table class="approvals" data-testid="approvals">
            <thead><tr><th>Run</th><th>Step</th><th>Asks for</th><th>Since</th><th class="num">Cost so far</th><th></th></tr></thead>
            <tbody>
              ${approvals.data.map((a) => {
                const key = `${a.run_id}/${a.step_id}`;
                return html`<tr key=${`${key}#${a.seq}`} data-run-id=${a.run_id} data-step=${a.step_id}>
                  <td><a class="mono" href=${runHref(a.run_id, a.step_id)}>${a.run_id}</a></td>
                  <td>${a.step_id}</td>
                  <td>
                    <span class="mono">${a.tool_name === "ktsu_needs_human" ? "human review (ktsu_needs_human)" : a.tool_name}</span>
                    <${Json} value=${a.arguments ?? {}} label="arguments" open=${false} />
                  </td>
                  <td>${time(a.created_at)}</td>
                  <td class="num">${usd(a.partial_metrics?.cost_usd)}</td>
                  <td><${DecisionButtons} runId=${a.run_id} stepId=${a.step_id} onDone=${(d: string) => done(key, d)} /></td>
                </tr>`;
              })}
            </tbody>
          </table>`
    }
  </section>`;
}
