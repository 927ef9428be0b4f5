// Everything about one step: configuration, timing, the models that answered,
// tokens and cost, output, Air-Lock failures with their paths, reserved signals,
// and an open approval.
// Secrets arrive already masked ([REDACTED]) by the API.
import { duration, elapsed, modelsAnswered, time, tokens, usd } from "../format.ts";
import { html } from "../html.ts";
import { runHref } from "../route.ts";
import { reservedSignal, wasCancelled } from "../signals.ts";
import type { GraphNode, StepView } from "../types.ts";
import { DecisionButtons, Json, StatusBadge } from "./common.ts";
import { FanoutItems } from "./fanout-items.ts";

export function StepDetail({
  runId,
  node,
  step,
  status,
  now,
  onDecided,
}: {
  runId: string;
  node: GraphNode | undefined;
  step: StepView | undefined;
  status: string;
  now: number;
  onDecided: () => void;
}) {
  const id = step?.id ?? node?.id ?? "";
  const type = step?.type ?? node?.type ?? "";
  return html`<aside class="panel step-detail" data-testid="step-detail" data-step=${id}>
    <header>
      <h2>${id}</h2>
      <span class="muted">${type}</span>
      <${StatusBadge} status=${status} />
    </header>
    ${node ? html`<${Config} node=${node} />` : null}
    ${step ? html`<${Settled} runId=${runId} step=${step} status=${status} now=${now} onDecided=${onDecided} />` : html`<p class="muted">This step has not started.</p>`}
    ${step && node?.for_each ? html`<${FanoutItems} runId=${runId} stepId=${id} running=${status === "running"} />` : null}
  </aside>`;
}

function Config({ node }: { node: GraphNode }) {
  return html`<dl class="facts">
    <dt>Does</dt><dd class="mono">${node.detail}</dd>
    ${node.dependencies.length > 0 ? html`<dt>After</dt><dd>${node.dependencies.join(", ")}</dd>` : null}
    ${node.condition ? html`<dt>Condition</dt><dd class="mono">${node.condition}</dd>` : null}
    ${node.for_each ? html`<dt>For each</dt><dd class="mono">${node.for_each}</dd>` : null}
    ${node.has_output_schema ? html`<dt>Air-Lock</dt><dd>output validated against its schema</dd>` : null}
  </dl>`;
}

function Settled({ runId, step, status, now, onDecided }: { runId: string; step: StepView; status: string; now: number; onDecided: () => void }) {
  const m = step.metrics;
  const ms = step.ended_at ? elapsed(step.started_at, step.ended_at) : step.status === "running" ? elapsed(step.started_at, undefined, now) : m.duration_ms;
  const signal = reservedSignal(step);
  const waiting = status === "pending_approval" || status === "needs_human";
  const approval = waiting && step.pending_approval?.status === "pending" ? step.pending_approval : null;
  const models = modelsAnswered(m);
  return html`
    <dl class="facts">
      <dt>Started</dt><dd>${time(step.started_at)}</dd>
      <dt>Ended</dt><dd>${time(step.ended_at)}</dd>
      <dt>Duration</dt><dd data-testid="step-duration">${duration(ms)}</dd>
      ${models ? html`<dt>${models.label}</dt><dd class="mono" data-testid="step-model">${models.text}</dd>` : null}
      <dt>Tokens</dt><dd>${tokens(m.tokens_in)} in · ${tokens(m.tokens_out)} out</dd>
      <dt>Cost</dt><dd data-testid="step-cost">${usd(m.cost_usd)}</dd>
      <dt>Calls</dt><dd>${m.llm_calls} LLM · ${m.tool_calls} tool${m.reflect_calls ? ` · ${m.reflect_calls} reflect` : ""}${step.reflected ? " · reflected" : ""}</dd>
    </dl>
    ${step.type === "workflow" ? html`<p><a href=${runHref(`${runId}/${step.id}`)}>Open the sub-run →</a></p>` : null}
    ${
      approval
        ? html`<div class="approval-card" data-testid="step-approval">
          <h3>${approval.tool_name === "ktsu_needs_human" ? "Waiting for a human review" : `Approve the call to ${approval.tool_name}?`}</h3>
          <${Json} value=${approval.arguments ?? {}} label=${approval.tool_name === "ktsu_needs_human" ? "Held output" : "Arguments"} />
          <${DecisionButtons} runId=${runId} stepId=${step.id} onDone=${onDecided} />
        </div>`
        : null
    }
    ${
      step.error
        ? html`<div class="step-error" data-testid="step-error">
          <h3>${wasCancelled(step) ? "Cancelled" : "Error"}</h3>
          <p class="mono">${step.error}</p>
          ${
            signal
              ? html`<p class="signal" data-testid="reserved-signal"><span class="badge signal-field">${signal.field}</span> reserved signal: ${signal.meaning}</p>`
              : null
          }
        </div>`
        : null
    }
    ${
      step.validation_errors && step.validation_errors.length > 0
        ? html`<div class="airlock" data-testid="airlock">
          <h3>Air-Lock rejected the output</h3>
          <table>
            <thead><tr><th>Path</th><th>Problem</th></tr></thead>
            <tbody>
              ${step.validation_errors.map((v) => html`<tr><td class="mono" data-testid="airlock-path">${v.path || "(whole output)"}</td><td>${v.message}</td></tr>`)}
            </tbody>
          </table>
        </div>`
        : null
    }
    ${step.raw_output !== undefined ? html`<${Json} value=${parseMaybe(step.raw_output)} label="Rejected output (raw)" />` : null}
    ${step.output !== undefined ? html`<${Json} value=${step.output} label="Output" />` : null}
    ${step.messages && step.messages.length > 0 ? html`<${Json} value=${step.messages} label=${`Conversation (${step.messages.length} messages)`} open=${false} />` : null}
  `;
}

function parseMaybe(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
