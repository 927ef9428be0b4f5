// A step against what it points at: agent steps supply the agent's required
// params as strings and end up with a model group; workflow steps supply the
// sub-workflow's required params and agree on the webhook opt-in.

import type { AgentFile, StepConfig, WorkflowFile } from "../../config/types.ts";
import { typeName } from "../decode.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";
import type { Project } from "../load-project.ts";
import { paramSpecs } from "../params.ts";
import { parsed, stepType, steps } from "./common.ts";

export function checkStepTargets(project: Project): void {
  const groups = new Set((project.gateway?.data?.model_groups ?? []).map((g) => g.name));
  const hasGateway = project.gateway?.data !== undefined;

  for (const file of parsed(project.workflows.values())) {
    const links = project.stepLinks.get(file.path) ?? [];
    for (const { step, index, path } of steps(file.data)) {
      const type = stepType(step);
      const link = links[index] ?? {};
      if (type === "workflow") {
        checkWorkflowParamValues(step, path, file.issues);
        const sub = link.workflow === undefined ? undefined : project.workflows.get(link.workflow)?.data;
        if (sub) checkWorkflowStep(step, path, sub, file.issues);
      }
      if (type === "agent") {
        const agent = link.agent === undefined ? undefined : project.agents.get(link.agent)?.data;
        if (!agent) continue;
        checkAgentStep(step, path, agent, file.issues);
        const group = step.model?.group || agent.model || "";
        if (group === "") {
          file.issues.error(path, `step "${step.id ?? ""}": no model group (set model in the agent file or model.group on the step)`);
        } else if (hasGateway && !groups.has(group)) {
          file.issues.warn(step.model?.group ? [...path, "model", "group"] : path, `model group "${group}" is not declared in gateway.yaml`);
        }
      }
    }
  }
}

function checkAgentStep(step: StepConfig, path: FieldPath, agent: AgentFile, issues: FileIssues): void {
  const declared = new Map(paramSpecs(agent.params?.schema).map((p) => [p.name, p]));
  const given = step.params ?? {};

  for (const [name, value] of Object.entries(given)) {
    if (name === "server") continue; // never passed to the agent, so never checked against its params
    if (!declared.has(name)) {
      issues.warn([...path, "params", name], `param "${name}" is not declared by agent "${step.agent}"; it is ignored`);
    } else if (typeof value !== "string") {
      issues.error([...path, "params", name], `agent param "${name}": value must be a string, got ${typeName(value)}`);
    }
  }
  for (const spec of declared.values()) {
    if (spec.required && given[spec.name] === undefined) {
      issues.error([...path, "params"], `step "${step.id ?? ""}": missing required param "${spec.name}" for agent "${step.agent}"`);
    }
  }
}

function checkWorkflowParamValues(step: StepConfig, path: FieldPath, issues: FileIssues): void {
  for (const [name, value] of Object.entries(step.params ?? {})) {
    if (name === "agent" || name === "server") continue; // never passed to the sub-workflow
    if (typeof value !== "string") {
      issues.error([...path, "params", name], `workflow step "${step.id ?? ""}" param "${name}": value must be a string, got ${typeName(value)}`);
    }
  }
}

function checkWorkflowStep(step: StepConfig, path: FieldPath, sub: WorkflowFile, issues: FileIssues): void {
  const id = step.id ?? "";
  const ref = step.workflow ?? "";
  if (step.webhooks === "execute" && sub.webhooks !== "execute") {
    issues.error(
      [...path, "webhooks"],
      `step "${id}": webhooks: execute declared on step but sub-workflow "${ref}" declares webhooks: "${sub.webhooks ?? ""}" (must also be "execute" for webhooks to fire)`,
    );
  }
  for (const spec of paramSpecs(sub.params?.schema)) {
    if (spec.required && step.params?.[spec.name] === undefined) {
      issues.error([...path, "params"], `step "${id}": missing required param "${spec.name}" for sub-workflow "${ref}"`);
    }
  }
}
