// Pieces several views use: status badges, JSON blocks, approve/reject buttons.
import { useState } from "preact/hooks";
import { cancelRun, decide } from "../api.ts";
import { html } from "../html.ts";

export function StatusBadge({ status }: { status: string }) {
  return html`<span class="badge st-${status}" data-status=${status}>${status.replace("_", " ")}</span>`;
}

/** Pretty JSON; long values fold away behind a summary line. */
export function Json({ value, label, open = true }: { value: unknown; label?: string; open?: boolean }) {
  const text = JSON.stringify(value, null, 2) ?? "null";
  const pre = html`<pre class="json">${text}</pre>`;
  if (!label) return pre;
  return html`<details class="json-block" open=${open && text.length < 4000}>
    <summary>${label}</summary>
    ${pre}
  </details>`;
}

export function ErrorBox({ error }: { error: Error | string | undefined }) {
  if (!error) return null;
  return html`<p class="error-box" role="alert">${typeof error === "string" ? error : error.message}</p>`;
}

/** Approve / reject one pending decision; `onDone` refreshes whatever shows it. */
export function DecisionButtons({ runId, stepId, onDone }: { runId: string; stepId: string; onDone: (decision: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const act = async (decision: "approved" | "rejected") => {
    setBusy(true);
    setError(undefined);
    try {
      await decide(runId, stepId, decision);
      onDone(decision);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="decision">
    <button class="approve" data-testid="approve" disabled=${busy} onClick=${() => act("approved")}>Approve</button>
    <button class="reject" data-testid="reject" disabled=${busy} onClick=${() => act("rejected")}>Reject</button>
    ${error ? html`<span class="error-inline">${error.message}</span>` : null}
  </span>`;
}

/** Cancels a run that is still going, after the user confirms; `onDone` refreshes the page. */
export function CancelButton({ runId, onDone }: { runId: string; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const act = async () => {
    if (!confirm(`Cancel run ${runId}? Its LLM and tool calls in flight are aborted and it cannot be resumed.`)) return;
    setBusy(true);
    setError(undefined);
    try {
      await cancelRun(runId);
      onDone();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="cancel-run">
    <button data-testid="cancel-run" disabled=${busy} onClick=${act}>Cancel run</button>
    ${error ? html`<span class="error-inline">${error.message}</span>` : null}
  </span>`;
}
