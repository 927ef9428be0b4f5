// Reserved `ktsu_*` output fields: flags a model sets on its own output to fail
// the step, hand it to a human, or skip it; and the runtime's check of a draft
// before it is reflected on.

import type { ReservedSignalField } from "../../../../shared/contracts/records.ts";
import { setOwn } from "../../../../shared/expr/json.ts";

export const RESERVED_PREFIX = "ktsu_";

/** The four fatal flags in check order, with their exact error texts. */
export const FATAL_FLAGS: readonly (readonly [field: ReservedSignalField, error: string])[] = [
  ["ktsu_injection_attempt", "injection attempt detected"],
  ["ktsu_untrusted_content", "untrusted content detected"],
  ["ktsu_low_quality", "low quality output"],
  ["ktsu_needs_human", "needs_human_review"],
];

export const CONFIDENCE_BELOW_THRESHOLD = "confidence below threshold";

/** An output object; `V` is `JsonValue` for parsed JSON, `unknown` for loosely typed callers. */
export type OutputObject<V = unknown> = Readonly<Record<string, V>>;

export type ReservedFieldsResult<V = unknown> =
  | { kind: "fail"; error: string }
  /** `ktsu_skip_reason`: the step is skipped; `output` is the cleaned output (its context output). */
  | { kind: "skip"; output: Record<string, V>; reason: string }
  | { kind: "ok"; output: Record<string, V> };

/** Like `ReservedFieldsResult`, and a failure names the reserved field that caused it. */
export type ReservedFieldsVerdict<V = unknown> =
  | { kind: "fail"; error: string; field: ReservedSignalField }
  /** `ktsu_skip_reason`: the step is skipped; `output` is the cleaned output (its context output). */
  | { kind: "skip"; output: Record<string, V>; reason: string }
  | { kind: "ok"; output: Record<string, V> };

function has(output: OutputObject, key: string): boolean {
  return Object.hasOwn(output, key);
}

/** A copy of `output` without any key that starts with `ktsu_` (known or not). */
export function stripReservedFields<V>(output: OutputObject<V> | null | undefined): Record<string, V> {
  const clean: Record<string, V> = {};
  if (!output) return clean;
  for (const [key, value] of Object.entries(output)) {
    if (!key.startsWith(RESERVED_PREFIX)) setOwn(clean, key, value);
  }
  return clean;
}

/**
 * Checks, in order: the four flags (only boolean `true` triggers them), then
 * `ktsu_confidence` (a non-number or absent value counts as 0; it fails only
 * when `threshold > 0 && confidence < threshold`, so equality passes), then
 * `ktsu_skip_reason` (a non-empty string). `ktsu_flags` and `ktsu_rationale`
 * are discarded. Every `ktsu_` key is stripped from the returned output.
 */
export function processReservedFields<V>(output: OutputObject<V> | null | undefined, threshold: number): ReservedFieldsResult<V> {
  const verdict = applyReservedFields(output, threshold);
  return verdict.kind === "fail" ? { kind: "fail", error: verdict.error } : verdict;
}

/** `processReservedFields`, with the field that failed the output carried out as data. */
export function applyReservedFields<V>(output: OutputObject<V> | null | undefined, threshold: number): ReservedFieldsVerdict<V> {
  const raw: OutputObject<V> = output ?? {};
  for (const [field, error] of FATAL_FLAGS) {
    if (has(raw, field) && raw[field] === true) return { kind: "fail", error, field };
  }
  const confidenceValue = has(raw, "ktsu_confidence") ? raw.ktsu_confidence : undefined;
  const confidence = typeof confidenceValue === "number" ? confidenceValue : 0;
  if (threshold > 0 && confidence < threshold) return { kind: "fail", error: CONFIDENCE_BELOW_THRESHOLD, field: "ktsu_confidence" };

  const clean = stripReservedFields(raw);
  const reason = has(raw, "ktsu_skip_reason") ? raw.ktsu_skip_reason : undefined;
  if (typeof reason === "string" && reason !== "") return { kind: "skip", output: clean, reason };
  return { kind: "ok", output: clean };
}

/**
 * The runtime's check on a draft before reflecting: a flag that is
 * present and either `true` or not a boolean at all (a string, a number,
 * null…) is fatal. Returns the error text, or null when the draft may proceed.
 */
export function fatalReservedFieldError(output: OutputObject | null | undefined): string | null {
  if (!output) return null;
  for (const [field, error] of FATAL_FLAGS) {
    if (!has(output, field)) continue;
    const value = output[field];
    if (value === true || typeof value !== "boolean") return error;
  }
  return null;
}
