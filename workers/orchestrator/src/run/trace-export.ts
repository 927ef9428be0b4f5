// A run's trace, exported once the run has ended: its spans are built from the run's own
// records (run-state's run and step records, as the Store mirrors them, and fanout items' calls) and sent through the
// gateway. Nothing of it happens while the run works, so it can neither slow nor fail a run.

import { exportSpans } from "../../../../shared/otel/exporter.ts";
import { otlpTarget } from "../../../../shared/otel/otlp-target.ts";
import { type ItemSpanSource, runSpans } from "../../../../shared/otel/run-spans.ts";
import type { RunState } from "./run-state.ts";

/** Whether this orchestrator exports traces: the project configured an OTLP endpoint (the gateway holds its headers). */
export function tracesConfigured(env: Record<string, unknown>): boolean {
  return otlpTarget(env) !== null;
}

/** Exports the ended run's spans; resolves when done, never rejects. A run the caller did not sample is not exported. */
export async function exportRunTrace(state: RunState, gateway: Fetcher): Promise<void> {
  const trace = state.run.trace;
  if (!trace?.sampled) return;
  const scrub = state.scrubber();
  const started = [...state.stepStates().values()].filter((step) => step.started_at);
  const steps = started.map((step) => state.stepRecord(step));
  const items = new Map<string, ItemSpanSource[]>();
  for (const step of started) {
    const total = step.fanout?.total ?? 0;
    if (total === 0) continue;
    const list: ItemSpanSource[] = [];
    for (let i = 0; i < total; i++) {
      const item = state.item(step.id, i);
      if (item?.calls) list.push({ index: i, status: item.status, ...(item.error ? { error: item.error } : {}), calls: item.calls });
    }
    items.set(step.id, list);
  }
  const spans = runSpans({ run: state.runRecord(), steps, items, trace, mask: (text) => scrub.text(text) });
  await exportSpans(gateway, spans);
}
