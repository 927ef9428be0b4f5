// JSON Schema checks with ajv. One configuration serves both the validity
// check here and the standalone code emitted by `ktsu build`, so a schema that
// passes validation is exactly one that compiles into the bundle.
//
// ajv compiles with `new Function`: this runs in Node at build time only,
// never inside a Worker.

import { Ajv, type ErrorObject, type Options } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { JsonSchema } from "../config/types.ts";
import type { FieldPath } from "./diagnostics.ts";
import { errorMessage } from "../util/errors.ts";

/** The `$schema` that makes a schema JSON Schema draft 2020-12; any other is draft-07, as Kimitsu schemas always were. */
export const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

/** Whether a schema declares draft 2020-12 (the two drafts cannot share one ajv instance). */
export function isDraft2020(schema: JsonSchema): boolean {
  return typeof schema === "object" && schema !== null && (schema as { $schema?: unknown }).$schema === DRAFT_2020_12;
}

const OPTIONS: Options = { allErrors: true, strict: false, validateFormats: false, logger: false };

/**
 * Draft-07, all errors, formats not validated (Kimitsu never checked them and
 * format code would pull runtime imports into the bundle), unknown keywords
 * tolerated (Kimitsu schemas carry annotations), plus the Kimitsu `secret`
 * property keyword. With `draft: "2020-12"` the same for schemas that declare
 * draft 2020-12 (`$defs`, `prefixItems`, `$dynamicRef`, ...).
 */
export function createAjv(extra: Options = {}, draft: "07" | "2020-12" = "07"): Ajv {
  const ajv = draft === "2020-12" ? new Ajv2020({ ...OPTIONS, ...extra }) : new Ajv({ ...OPTIONS, ...extra });
  ajv.addKeyword({ keyword: "secret", metaSchema: { type: "boolean" } });
  return ajv;
}

export interface SchemaProblem {
  /** Path inside the schema, e.g. `["properties", "name", "type"]`. */
  path: FieldPath;
  message: string;
}

export type SchemaChecker = (schema: JsonSchema) => SchemaProblem[];

/** A checker over one ajv instance that never keeps the schemas it sees. */
export function createSchemaChecker(): SchemaChecker {
  const draft07 = createAjv({ addUsedSchema: false });
  const draft2020 = createAjv({ addUsedSchema: false }, "2020-12");
  return (schema) => checkSchema(isDraft2020(schema) ? draft2020 : draft07, schema);
}

function checkSchema(ajv: Ajv, schema: JsonSchema): SchemaProblem[] {
  try {
    if (!ajv.validateSchema(schema)) return metaSchemaProblems(ajv.errors ?? []);
  } catch (error) {
    return [{ path: [], message: errorMessage(error) }];
  }
  try {
    ajv.compile(schema);
    return [];
  } catch (error) {
    return [compileProblem(errorMessage(error))];
  }
}

/** One problem per schema location; ajv's anyOf branches repeat a location. */
function metaSchemaProblems(errors: ErrorObject[]): SchemaProblem[] {
  const byPath = new Map<string, ErrorObject>();
  for (const error of errors) if (!byPath.has(error.instancePath)) byPath.set(error.instancePath, error);
  return [...byPath.values()].map((error) => {
    const allowed = error.params.allowedValues;
    const suffix = Array.isArray(allowed) ? ` (${allowed.map((v) => JSON.stringify(v)).join(", ")})` : "";
    return { path: pointerToPath(error.instancePath), message: `${error.message ?? "is invalid"}${suffix}` };
  });
}

/** ajv names the location as `at path "#/properties/a"` in some compile errors. */
function compileProblem(message: string): SchemaProblem {
  const at = /at path "#([^"]*)"/.exec(message);
  return { path: at ? pointerToPath(at[1] ?? "") : [], message };
}

/** `/properties/a/required/0` → `["properties", "a", "required", 0]`. */
export function pointerToPath(pointer: string): FieldPath {
  if (pointer === "") return [];
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
