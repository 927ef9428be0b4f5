// What changed between a recorded run and its replay, step by step, in the recording's order.

import type { Scrubber } from "../../../shared/secrets/scrub.ts";
import { jsonDiff } from "./json-diff.ts";
import { stepName, type Recording, type RecordedStep } from "./recording.ts";
import { describeMismatch, type RequestMismatch } from "./request-check.ts";

export interface StepComparison {
  step: string;
  changed: boolean;
  /** Why the step counts as changed (empty when it did not change). */
  reasons: string[];
  /** What the report says about the step without counting it as changed. */
  notes?: string[];
}

/** Fanout items listed one by one under their step; the rest are counted. */
const ITEM_LINES = 20;

function compareStep(was: RecordedStep, now: RecordedStep | undefined, mismatch: RequestMismatch | undefined, scrub: Scrubber): string[] {
  // The refused request is why the step stopped: its failure is that, not a change of its own.
  if (mismatch) return [describeMismatch(mismatch)];
  if (!now) return [`did not run (recorded: ${was.status ?? "?"})`];
  const reasons: string[] = [];
  if (was.status !== now.status) reasons.push(`status: recorded ${was.status ?? "?"}, replayed ${now.status ?? "?"}${now.error ? ` (${now.error})` : ""}`);
  const diff = jsonDiff(scrub.value(was.output ?? null), scrub.value(now.output ?? null));
  if (diff.length > 0) reasons.push("output differs:", ...diff.map((line) => `  ${line}`));
  return reasons;
}

/** The item index of `name` when it names an item of `parent` (`<parent>.<index>`). */
function itemIndex(parent: string, name: string): number | undefined {
  if (!name.startsWith(`${parent}.`)) return undefined;
  const rest = name.slice(parent.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

/** The items of `parent` whose requests no longer matched, in index order, as report lines of their own. */
function itemComparisons(parent: string, mismatches: ReadonlyMap<string, RequestMismatch>): StepComparison[] {
  const items = [...mismatches]
    .map(([name, mismatch]) => ({ name, mismatch, index: itemIndex(parent, name) }))
    .filter((entry) => entry.index !== undefined)
    .sort((a, b) => a.index! - b.index!);
  const listed = items.slice(0, ITEM_LINES).map(({ name, mismatch }) => ({ step: name, changed: true, reasons: [describeMismatch(mismatch)] }));
  const more = items.length - listed.length;
  if (more > 0) listed.push({ step: `${parent}.*`, changed: true, reasons: [`${more} more item(s) whose requests no longer match the recording`] });
  return listed;
}

/** A note on a fanout step whose items were answered from their recorded outputs alone. */
function uncheckedNote(parent: string, unchecked: ReadonlySet<string>): string[] {
  const count = [...unchecked].filter((name) => itemIndex(parent, name) !== undefined).length;
  if (count === 0) return [];
  return [`note: ${count} item(s) answered from their recorded outputs; their requests could not be checked (recorded before items kept request fingerprints)`];
}

/**
 * Secrets are masked on both sides (the recorded side was masked by its Store already). Fanout
 * items are reported under their step only when their requests no longer matched.
 */
export function compareRuns(
  recorded: Recording,
  replayed: Recording,
  mismatches: ReadonlyMap<string, RequestMismatch>,
  scrub: Scrubber,
  unchecked: ReadonlySet<string> = new Set(),
): StepComparison[] {
  const byName = new Map(replayed.steps.map((step) => [stepName(step), step]));
  const seen = new Set<string>();
  const result: StepComparison[] = [];
  const add = (comparison: StepComparison) => {
    const notes = uncheckedNote(comparison.step, unchecked);
    result.push(notes.length > 0 ? { ...comparison, notes } : comparison, ...itemComparisons(comparison.step, mismatches));
  };
  for (const was of recorded.steps) {
    if (was.item !== undefined) continue;
    const name = stepName(was);
    seen.add(name);
    const reasons = compareStep(was, byName.get(name), mismatches.get(name), scrub);
    add({ step: name, changed: reasons.length > 0, reasons });
  }
  for (const now of replayed.steps) {
    const name = stepName(now);
    if (seen.has(name) || now.item !== undefined) continue;
    const mismatch = mismatches.get(name);
    add({ step: name, changed: true, reasons: [`new step (${now.status ?? "?"})`, ...(mismatch ? [describeMismatch(mismatch)] : [])] });
  }
  return result;
}
