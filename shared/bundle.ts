// The contract between `ktsu build` and the Workers.
//
// `ktsu build` writes one ES module that exports:
//
//   export const project: ProjectBundle;                  // normalized config
//   export const validators: Record<string, Validator>;   // precompiled JSON Schemas
//
// Every schema in `project` is a `SchemaRef` whose `validator` names an entry of
// `validators`. Validators are ajv standalone functions (compiled with
// `allErrors: true`), so nothing is parsed or compiled at runtime; workerd
// forbids eval.

import type { ProjectBundle } from "./config/types.ts";

export type * from "./config/types.ts";
export { BUNDLE_FORMAT } from "./config/types.ts";

/** One failure as ajv reports it. */
export interface ValidatorError {
  /** JSON pointer into the validated data ("" is the root). */
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** An ajv standalone validation function. */
export interface Validator {
  (data: unknown): boolean;
  errors?: ValidatorError[] | null;
}

/** The shape of the module written by `ktsu build`. */
export interface BundleModule {
  project: ProjectBundle;
  validators: Record<string, Validator>;
}

/**
 * An entry of one of the bundle's tables (`project.workflows`, `.agents`, `.servers`,
 * `validators`) by name. The tables are plain objects: indexing one with a name such as
 * `__proto__`, `constructor` or `toString` would find Object.prototype's members, so only
 * the table's own entries count.
 */
export function bundleEntry<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
