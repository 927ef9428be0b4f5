// Runs a precompiled bundle validator and flattens ajv's errors into
// `{ path, message }` pairs (Air-Lock and invoke checks report these).

import type { Validator } from "../bundle.ts";

export interface SchemaFailure {
  /** JSON pointer to the offending value ("" is the root); for a missing property, where it should be. */
  path: string;
  message: string;
  /** The JSON Schema keyword that failed (`required`, `type`, `enum`, ...). */
  keyword: string;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function runValidator(validator: Validator, data: unknown): SchemaFailure[] {
  if (validator(data)) return [];
  const errors = validator.errors ?? [];
  if (errors.length === 0) return [{ path: "", message: "failed schema validation", keyword: "unknown" }];
  return errors.map((error) => {
    const missing = error.keyword === "required" ? error.params.missingProperty : undefined;
    return typeof missing === "string"
      ? { path: `${error.instancePath}/${escapePointer(missing)}`, message: "is required", keyword: "required" }
      : { path: error.instancePath, message: error.message ?? `failed "${error.keyword}" check`, keyword: error.keyword };
  });
}

/** `runValidator` by bundle key; an unknown key is a build/bundle mismatch. */
export function validateWith(validators: Record<string, Validator>, key: string, data: unknown): SchemaFailure[] {
  const validator = validators[key];
  if (!validator) throw new Error(`bundle has no validator "${key}"`);
  return runValidator(validator, data);
}
