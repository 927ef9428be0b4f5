// Every JSON Schema in the project must compile, because each one becomes a
// precompiled validator in the bundle.

import type { JsonSchema } from "../../config/types.ts";
import { formatFieldPath, type FieldPath } from "../diagnostics.ts";
import type { SchemaChecker } from "../json-schema.ts";
import type { LoadedFile, Project } from "../load-project.ts";
import { requiredNames } from "../params.ts";
import { parsed, steps } from "./common.ts";

export interface SchemaField {
  file: LoadedFile<unknown>;
  path: FieldPath;
  schema: JsonSchema;
  /** The bundle key of its validator: `<file>#<field path>`. */
  key: string;
}

export function validatorKey(file: LoadedFile<unknown>, path: FieldPath): string {
  return `${file.display}#${formatFieldPath(path)}`;
}

/** Every schema-valued field of every parsed workflow and agent. */
export function schemaFields(project: Project): SchemaField[] {
  const fields: SchemaField[] = [];
  const add = (file: LoadedFile<unknown>, path: FieldPath, schema: JsonSchema | undefined): void => {
    if (schema !== undefined) fields.push({ file, path, schema, key: validatorKey(file, path) });
  };
  for (const file of parsed(project.workflows.values())) {
    add(file, ["params", "schema"], file.data.params?.schema);
    for (const { step, path } of steps(file.data)) add(file, [...path, "output", "schema"], step.output?.schema);
    add(file, ["output", "schema"], file.data.output?.schema);
  }
  for (const file of parsed(project.agents.values())) {
    add(file, ["params", "schema"], file.data.params?.schema);
    const output = file.data.output?.schema;
    if (output && Object.keys(output).length > 0) add(file, ["output", "schema"], output);
  }
  return fields;
}

export function checkSchemas(project: Project, check: SchemaChecker): void {
  for (const field of schemaFields(project)) {
    for (const problem of check(field.schema)) {
      field.file.issues.error([...field.path, ...problem.path], `invalid JSON Schema: ${problem.message}`);
    }
  }

  // Reserved `ktsu_*` fields are stripped before Air-Lock, so a
  // step schema that requires one can never pass.
  for (const file of parsed(project.workflows.values())) {
    for (const { step, path } of steps(file.data)) {
      for (const name of requiredNames(step.output?.schema)) {
        if (name.startsWith("ktsu_")) {
          file.issues.error(
            [...path, "output", "schema", "required"],
            `step output.schema requires reserved field "${name}", which is removed before Air-Lock`,
          );
        }
      }
    }
  }
}
