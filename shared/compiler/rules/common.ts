// Small queries over the loaded project that several rules share.

import type { EnvVarConfig, StepConfig, StepType, WorkflowFile } from "../../config/types.ts";
import { isBroken } from "../decode.ts";
import type { FieldPath } from "../diagnostics.ts";
import type { LoadedFile, Project } from "../load-project.ts";
import { isPlainObject } from "../../util/objects.ts";

export type Loaded<T> = LoadedFile<T> & { data: T };

/** Files that parsed, so rules can read `data`. */
export function parsed<T>(files: Iterable<LoadedFile<T>>): Loaded<T>[] {
  return [...files].filter((f): f is Loaded<T> => f.data !== undefined);
}

/** The primitives a step sets, in Go's precedence order (workflow, agent, transform, webhook). */
export function stepPrimitives(step: StepConfig): StepType[] {
  const kinds: StepType[] = [];
  if (step.workflow !== undefined) kinds.push("workflow");
  if (step.agent !== undefined) kinds.push("agent");
  if (step.transform !== undefined) kinds.push("transform");
  if (step.webhook !== undefined) kinds.push("webhook");
  return kinds;
}

/** The step's type by precedence, or undefined for an untyped step. */
export function stepType(step: StepConfig): StepType | undefined {
  return stepPrimitives(step)[0];
}

/** Pipeline entries that decoded to steps, with their index in the file. */
export function steps(workflow: WorkflowFile): { step: StepConfig; index: number; path: FieldPath }[] {
  return (workflow.pipeline ?? []).map((step, index) => ({ step, index, path: ["pipeline", index] as FieldPath })).filter(({ step }) => !isBroken(step));
}

/** Invoked directly: in the workflow dir and not `visibility: sub-workflow`. */
export function isRootContext(project: Project, file: LoadedFile<WorkflowFile>): boolean {
  return project.entryWorkflows.has(file.path) && file.data?.visibility !== "sub-workflow";
}

/** Runs as a sub-workflow: referenced by a step, or declared `visibility: sub-workflow`. */
export function isSubContext(project: Project, file: LoadedFile<WorkflowFile>): boolean {
  return project.usedAsSubWorkflow.has(file.path) || file.data?.visibility === "sub-workflow";
}

/** Declared env entries by name. */
export function envByName(env: readonly EnvVarConfig[] | undefined): Map<string, EnvVarConfig> {
  const map = new Map<string, EnvVarConfig>();
  for (const entry of env ?? []) if (entry.name !== undefined && !map.has(entry.name)) map.set(entry.name, entry);
  return map;
}

/** Calls `visit` for every string inside a parsed YAML value. */
export function walkStrings(value: unknown, path: FieldPath, visit: (text: string, path: FieldPath) => void): void {
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) walkStrings(item, [...path, i], visit);
  else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) walkStrings(item, [...path, key], visit);
}

export function quoteList(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}
