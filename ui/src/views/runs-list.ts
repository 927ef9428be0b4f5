// The runs list, filtered by workflow and status (kept in the URL).
import { listRuns, listWorkflows } from "../api.ts";
import { duration, elapsed, time, usd } from "../format.ts";
import { usePolled, useNow } from "../hooks.ts";
import { html } from "../html.ts";
import { runHref, runsHref } from "../route.ts";
import { RUN_STATUSES, type RunRecord } from "../types.ts";
import { ErrorBox, StatusBadge } from "./common.ts";

export function RunsList({ workflow, status }: { workflow: string; status: string }) {
  const runs = usePolled(() => listRuns({ workflow, status, limit: 100 }), 2000, [workflow, status]);
  const workflows = usePolled(listWorkflows, 0, []);
  const now = useNow(runs.data?.some((r) => r.status === "running") ?? false, 1000);
  const names = workflows.data?.filter((w) => w.visibility === "root").map((w) => w.name) ?? [];
  if (workflow && !names.includes(workflow)) names.push(workflow);
  const go = (next: { workflow?: string; status?: string }) => (location.hash = runsHref({ workflow, status, ...next }));

  return html`<section>
    <div class="toolbar">
      <h1>Runs</h1>
      <label>Workflow
        <select name="workflow" data-testid="filter-workflow" value=${workflow} onChange=${(e: Event) => go({ workflow: (e.target as HTMLSelectElement).value })}>
          <option value="">all</option>
          ${names.map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
      </label>
      <label>Status
        <select name="status" data-testid="filter-status" value=${status} onChange=${(e: Event) => go({ status: (e.target as HTMLSelectElement).value })}>
          <option value="">all</option>
          ${RUN_STATUSES.map((s) => html`<option value=${s}>${s.replace("_", " ")}</option>`)}
        </select>
      </label>
    </div>
    <${ErrorBox} error=${runs.error} />
    ${
      runs.data === undefined
        ? html`<p class="muted">Loading…</p>`
        : runs.data.length === 0
          ? html`<p class="empty" data-testid="no-runs">No runs${workflow || status ? " match these filters" : " yet"}.</p>`
          : html`<table class="runs" data-testid="runs">
            <thead><tr><th>Run</th><th>Workflow</th><th>Status</th><th>Started</th><th>Duration</th><th class="num">Cost</th></tr></thead>
            <tbody>${runs.data.map((run) => html`<${RunRow} key=${run.id} run=${run} now=${now} />`)}</tbody>
          </table>`
    }
  </section>`;
}

function RunRow({ run, now }: { run: RunRecord; now: number }) {
  const ms = elapsed(run.created_at, run.completed_at ?? (run.status === "running" ? undefined : run.updated_at), now);
  return html`<tr data-run-id=${run.id} data-status=${run.status}>
    <td><a href=${runHref(run.id)} class="mono">${run.id}</a>${run.parent_run_id ? html` <span class="muted">(sub-run)</span>` : null}</td>
    <td><a href=${runsHref({ workflow: run.workflow_name })}>${run.workflow_name}</a></td>
    <td><${StatusBadge} status=${run.status} /></td>
    <td>${time(run.created_at)}</td>
    <td>${duration(ms)}</td>
    <td class="num">${usd(run.cost_usd)}</td>
  </tr>`;
}
