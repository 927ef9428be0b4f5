// Display helpers.
import { modelsOf, type ModelsResolved } from "../../shared/contracts/models-resolved.ts";

export function usd(value: number | undefined | null): string {
  const v = value ?? 0;
  if (v === 0) return "$0";
  if (Math.abs(v) < 0.0001) return `$${v.toExponential(1)}`;
  return `$${v.toFixed(Math.abs(v) < 1 ? 4 : 2)}`;
}

export function duration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Between two RFC 3339 times; `end` defaults to now (for a step still running). */
export function elapsed(start: string | undefined, end?: string, now = Date.now()): number | undefined {
  if (!start) return undefined;
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now;
  return Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, to - from) : undefined;
}

export function time(iso: string | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

export function tokens(n: number | undefined): string {
  return (n ?? 0).toLocaleString("en-US");
}

/**
 * The models that answered a step's LLM calls, for its detail panel; null when none did
 * (a transform, a webhook, a record stored before models were kept). With several (a group's
 * fallback or round robin, a fanout's items), the one whose reply was the step's last is marked.
 */
export function modelsAnswered(metrics: Partial<ModelsResolved>): { label: string; text: string } | null {
  const models = modelsOf(metrics);
  if (models.length === 0) return null;
  if (models.length === 1) return { label: "Model", text: models[0] as string };
  const last = metrics.model_resolved;
  return { label: "Models", text: models.map((model) => (model === last ? `${model} (last)` : model)).join(", ") };
}
