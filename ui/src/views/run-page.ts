// One run: its DAG with live statuses, the selected step, open approvals, the
// timeline of its steps and their LLM and tool calls, the cost over time and the
// event log. Live updates come from /runs/:id/events; each event also triggers a
// (coalesced) re-read of the run for the details.
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getBudget, getGraph, getRun } from "../api.ts";
import { followRunEvents } from "../events.ts";
import { duration, elapsed, time, usd } from "../format.ts";
import { useAuthEpoch, useNow } from "../hooks.ts";
import { html } from "../html.ts";
import { ATTENTION, liveStatuses } from "../live.ts";
import { runHref, runsHref } from "../route.ts";
import type { Budget, GraphNode, RunEvent, RunRecord, StepView, WorkflowGraph } from "../types.ts";
import { CancelButton, DecisionButtons, ErrorBox, Json, StatusBadge } from "./common.ts";
import { CostChart } from "./cost-chart.ts";
import { Dag } from "./dag.ts";
import { StepDetail } from "./step-detail.ts";
import { Timeline } from "./timeline.ts";

const WAITING = new Set(["pending_approval", "needs_human"]);

interface Detail {
  run: RunRecord;
  steps: StepView[];
}

export function RunPage({ id, step: selectedStep }: { id: string; step: string | null }) {
  const epoch = useAuthEpoch();
  const [detail, setDetail] = useState<Detail | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [streaming, setStreaming] = useState(true);
  const [graph, setGraph] = useState<WorkflowGraph | null | undefined>(undefined);
  const [budget, setBudget] = useState<Budget | null>(null);
  // One read at a time; events arriving meanwhile ask for one more.
  const reading = useRef({ id, busy: false, again: false });

  const refresh = useCallback(async () => {
    const state = reading.current;
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    try {
      do {
        state.again = false;
        try {
          const read = await getRun(id);
          if (reading.current !== state) return; // the page moved to another run
          setDetail(read);
          setError(undefined);
        } catch (err) {
          if (reading.current === state) setError(err as Error);
        }
      } while (state.again);
    } finally {
      state.busy = false;
    }
  }, [id]);

  const loadBudget = useCallback(() => {
    getBudget(id).then(setBudget, () => setBudget(null));
  }, [id]);

  useEffect(() => {
    reading.current = { id, busy: false, again: false };
    setDetail(undefined);
    setEvents([]);
    setStreaming(true);
    void refresh();
    loadBudget();
    const stop = followRunEvents(id, {
      onEvent(event) {
        setEvents((prev) => (prev.some((e) => e.seq === event.seq) ? prev : [...prev, event]));
        void refresh();
      },
      onEnd(err) {
        setStreaming(false);
        if (err) setError(err);
        void refresh();
        loadBudget();
      },
    });
    return stop;
  }, [id, epoch]);

  const workflow = detail?.run.workflow_name;
  useEffect(() => {
    if (!workflow) return;
    getGraph(workflow).then(setGraph, () => setGraph(null));
  }, [workflow, epoch]);

  // Without a stream (it failed), a running run is polled instead.
  const runStatusRecorded = detail?.run.status;
  useEffect(() => {
    if (streaming || runStatusRecorded !== "running") return;
    const timer = setInterval(() => void refresh(), 2000);
    return () => clearInterval(timer);
  }, [streaming, runStatusRecorded, refresh]);

  const live = useMemo(() => {
    if (!detail) return liveStatuses(events, { steps: new Map() });
    const steps = new Map<string, string>();
    for (const s of detail.steps) {
      const at = s.ended_at ?? s.started_at;
      if (at) steps.set(s.id, at);
    }
    return liveStatuses(events, { run: detail.run.updated_at, steps });
  }, [events, detail]);
  const runStatus = live.run ?? detail?.run.status ?? "running";
  const running = runStatus === "running";
  const now = useNow(running, 250);

  const statuses = useMemo(() => {
    const map = new Map<string, string>();
    for (const s of detail?.steps ?? []) map.set(s.id, s.status);
    for (const [stepId, status] of live.steps) map.set(stepId, status);
    return map;
  }, [detail, live]);

  const nodes = useMemo((): GraphNode[] => {
    const fromGraph = graph?.nodes ?? [];
    const known = new Set(fromGraph.map((n) => n.id));
    // Steps the graph does not know (the project changed since): drawn without edges.
    const extra = (detail?.steps ?? [])
      .filter((s) => !known.has(s.id))
      .map((s): GraphNode => ({ id: s.id, type: s.type, dependencies: [], depends_on: [], detail: s.name, has_output_schema: false }));
    return [...fromGraph, ...extra];
  }, [graph, detail?.steps.map((s) => s.id).join("\n")]);

  if (!detail) {
    return html`<section>
      <${Crumbs} id=${id} />
      ${error ? html`<${ErrorBox} error=${error} />` : html`<p class="muted">Loading…</p>`}
    </section>`;
  }

  const { run, steps } = detail;
  const stepById = new Map(steps.map((s) => [s.id, s]));
  const attention = steps.find((s) => (ATTENTION as readonly string[]).includes(statuses.get(s.id) ?? s.status));
  const selected = selectedStep ?? attention?.id ?? null;
  // Open decisions, unless an event already says the step moved on.
  const pending = steps.filter((s) => s.pending_approval?.status === "pending" && WAITING.has(statuses.get(s.id) ?? ""));
  const select = (stepId: string) => (location.hash = runHref(id, stepId));
  const ended = run.completed_at ?? (running ? undefined : run.updated_at);

  return html`<section class="run-page" data-testid="run-page" data-run-id=${run.id}>
    <${Crumbs} id=${id} workflow=${run.workflow_name} />
    <header class="run-head">
      <h1 class="mono">${run.id}</h1>
      <span data-testid="run-status"><${StatusBadge} status=${runStatus} /></span>
      ${streaming ? html`<span class="live" title="following /runs/${run.id}/events">● live</span>` : null}
      ${running || runStatus === "needs_human" ? html`<${CancelButton} runId=${run.id} onDone=${() => void refresh()} />` : null}
    </header>
    <dl class="facts run-facts">
      <dt>Workflow</dt><dd><a href=${runsHref({ workflow: run.workflow_name })}>${run.workflow_name}</a></dd>
      <dt>Started</dt><dd>${time(run.created_at)}</dd>
      <dt>Duration</dt><dd data-testid="run-duration">${duration(elapsed(run.created_at, ended, now))}</dd>
      <dt>Cost</dt><dd data-testid="run-cost">${usd(run.cost_usd)}</dd>
      ${run.parent_run_id ? html`<dt>Parent</dt><dd><a class="mono" href=${runHref(run.parent_run_id)}>${run.parent_run_id}</a></dd>` : null}
    </dl>
    ${run.error ? html`<p class="run-error" data-testid="run-error">${run.error}</p>` : null}
    <${ErrorBox} error=${error} />
    ${
      pending.length > 0
        ? html`<div class="panel approvals-here" data-testid="run-approvals">
          <h2>Waiting for a decision</h2>
          ${pending.map(
            (s) => html`<div class="approval-row" data-step=${s.id}>
              <a href=${runHref(id, s.id)}><strong>${s.id}</strong></a>
              <span class="mono">${s.pending_approval!.tool_name}</span>
              <${DecisionButtons} runId=${run.id} stepId=${s.id} onDone=${() => void refresh()} />
            </div>`,
          )}
        </div>`
        : null
    }
    <div class="run-body">
      <div class="main-col">
        <div class="panel">
          <h2>Graph ${graph === null ? html`<span class="muted">(workflow not in the running project; steps shown without edges)</span>` : null}</h2>
          <${Dag} nodes=${nodes} statuses=${statuses} selected=${selected} onSelect=${select} />
        </div>
        <div class="panel">
          <h2>Timeline</h2>
          <${Timeline} run=${run} steps=${steps} now=${now} onSelect=${select} />
        </div>
        <div class="panel">
          <h2>Cost over time</h2>
          <${CostChart} events=${events} running=${running} now=${now} budget=${budget} />
        </div>
        <div class="panel">
          <${Json} value=${run.payload ?? {}} label="Params (payload; secrets masked)" open=${false} />
          <${EventLog} events=${events} />
        </div>
      </div>
      <div class="side-col">
        ${
          selected
            ? html`<${StepDetail}
              runId=${run.id}
              node=${nodes.find((n) => n.id === selected)}
              step=${stepById.get(selected)}
              status=${statuses.get(selected) ?? "pending"}
              now=${now}
              onDecided=${() => void refresh()}
            />`
            : html`<aside class="panel muted">Select a step in the graph to see its details.</aside>`
        }
      </div>
    </div>
  </section>`;
}

function Crumbs({ id, workflow }: { id: string; workflow?: string }) {
  return html`<nav class="crumbs">
    <a href="#/runs">Runs</a><span class="sep">/</span>
    ${workflow ? html`<a href=${runsHref({ workflow })}>${workflow}</a><span class="sep">/</span>` : null}
    <span class="mono">${id}</span>
  </nav>`;
}

function EventLog({ events }: { events: RunEvent[] }) {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const start = sorted[0] ? Date.parse(sorted[0].created_at) : 0;
  return html`<details class="event-log" data-testid="event-log">
    <summary>Events (${sorted.length})</summary>
    <ol>
      ${sorted.map((e) => {
        const status = typeof e.data?.status === "string" ? e.data.status : "";
        const err = typeof e.data?.error === "string" ? e.data.error : "";
        return html`<li data-type=${e.type}>
          <span class="mono muted">+${((Date.parse(e.created_at) - start) / 1000).toFixed(2)}s</span>
          <span class="mono">${e.type}</span>
          ${e.step_id ? html` <strong>${e.step_id}</strong>` : null}
          ${status ? html` <span class="muted">${status}</span>` : null}
          ${err ? html` <span class="error-inline">${err}</span>` : null}
        </li>`;
      })}
    </ol>
  </details>`;
}
