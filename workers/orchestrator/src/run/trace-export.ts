// A run's trace, exported once the run has ended: its spans are built from the run's own
// records (run-state's run and step records, as the Store mirrors them) and sent through the
// gateway. Nothing of it happens while the run works, so it can neither slow nor fail a run.

import { exportSpans } from "../../../../shared/otel/exporter.ts";
import { otlpTarget } from "../../../../shared/otel/otlp-target.ts";
import { runSpans } from "../../../../shared/otel/run-spans.ts";
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
  const steps = [...state.stepStates().values()].filter((step) => step.started_at).map((step) => state.stepRecord(step));
  const spans = runSpans({ run: state.runRecord(), steps, trace, mask: (text) => scrub.text(text) });
  await exportSpans(gateway, spans);
}
