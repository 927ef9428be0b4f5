// The step DAG of each workflow: every reference names a known step, and
// there are no cycles.

import type { WorkflowFile } from "../../config/types.ts";
import { findCycles, stepDependencies, stepReferences } from "../dag.ts";
import type { FileIssues } from "../diagnostics.ts";
import { namespaceRefs, placeholderRefs } from "../expressions.ts";
import type { Project } from "../load-project.ts";
import { parsed, steps } from "./common.ts";

export function checkStepGraphs(project: Project): void {
  for (const file of parsed(project.workflows.values())) checkStepGraph(file.data, file.issues);
}

function checkStepGraph(wf: WorkflowFile, issues: FileIssues): void {
  const all = steps(wf).filter(({ step }) => step.id !== undefined);
  const known = new Set(all.map(({ step }) => step.id as string));

  for (const { step, path } of all) {
    for (const ref of stepReferences(step)) {
      if (known.has(ref.step)) continue;
      const message = ref.explicit ? `step "${step.id}" depends on unknown step "${ref.step}"` : `step "${step.id}" references unknown step "${ref.step}"`;
      issues.error([...path, ...ref.path], message);
    }
  }

  // The first step with an id wins; duplicates are reported by the shape rules.
  const firstIndex = new Map<string, number>();
  for (const { step, index } of all) if (!firstIndex.has(step.id as string)) firstIndex.set(step.id as string, index);
  const nodes = [...firstIndex].map(([id, index]) => ({
    id,
    dependencies: stepDependencies(wf.pipeline?.[index] ?? {}),
  }));
  for (const id of findCycles(nodes)) {
    issues.error(["pipeline", firstIndex.get(id) ?? 0], `cycle detected at node "${id}"`);
  }

  for (const [key, value] of Object.entries(wf.output?.map ?? {})) {
    if (typeof value !== "string") continue;
    const refs = value.includes("{{") ? placeholderRefs(value, "step") : namespaceRefs(value, "step");
    for (const ref of refs) {
      if (!known.has(ref)) issues.error(["output", "map", key], `output.map references unknown step "${ref}"`);
    }
  }
}
