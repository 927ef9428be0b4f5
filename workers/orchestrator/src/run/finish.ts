import type { CompiledStep, Validator } from "../../../../shared/bundle.ts";
import { runValidator } from "../../../../shared/schema/validate.ts";
import { MAX_RAW_OUTPUT_CHARS, outputLimitError, truncate } from "../engine/limits.ts";
import { applyReservedFields, stripReservedFields } from "../engine/semantics.ts";
import type { OutputVerdict } from "./outcome.ts";

/**
 * What a step's output means: a top-level `"skipped": true` skips; reserved
 * `ktsu_*` fields are applied exactly once, with the step's own confidence
 * threshold (never a default or a second pass); then Air-Lock validates the cleaned output
 * against the step's `output.schema` in full (types, enums, nested), keeping
 * the raw output and the failing paths. `validators` are the project bundle's.
 */
export function finishOutput(
  step: CompiledStep,
  raw: Record<string, unknown> | null | undefined,
  validators: Readonly<Record<string, Validator>>,
): OutputVerdict {
  const output = raw ?? {};
  const tooBig = outputLimitError(output);
  if (tooBig) return { kind: "failed", error: tooBig };
  if (output.skipped === true) return { kind: "skipped", context: output };

  // Fanout wrappers have no confidence of their own: the threshold applies to each item, not to the aggregate.
  const threshold = step.type === "agent" && !step.for_each ? step.confidence_threshold : 0;
  const reserved = applyReservedFields(output, threshold);
  if (reserved.kind === "fail") {
    return reserved.field === "ktsu_needs_human"
      ? { kind: "needs_human", output: stripReservedFields(output), signal: reserved.field }
      : { kind: "failed", error: reserved.error, signal: reserved.field };
  }
  if (reserved.kind === "skip") return { kind: "skipped", context: reserved.output };

  const cleaned = reserved.output;
  if (step.output) {
    const validator = validators[step.output.validator];
    if (!validator) return { kind: "failed", error: `air-lock: the bundle has no validator "${step.output.validator}"` };
    const failures = runValidator(validator, cleaned);
    if (failures.length > 0) {
      return {
        kind: "failed",
        error: airLockMessage(failures),
        details: {
          raw_output: truncate(JSON.stringify(raw ?? null), MAX_RAW_OUTPUT_CHARS),
          validation_errors: failures.slice(0, 50).map(({ path, message }) => ({ path, message })),
        },
      };
    }
  }
  return { kind: "complete", output: cleaned };
}

/**
 * The step error for an Air-Lock rejection. A missing required field keeps the
 * original's wording; every failure is listed on the step as well.
 */
function airLockMessage(failures: ReturnType<typeof runValidator>): string {
  const first = failures[0]!;
  const field = first.path.replace(/^\//, "");
  const head = first.keyword === "required" ? `output missing required field "${field}"` : `output field "${first.path || "/"}" ${first.message}`;
  return failures.length > 1 ? `${head} (and ${failures.length - 1} more schema violations)` : head;
}
