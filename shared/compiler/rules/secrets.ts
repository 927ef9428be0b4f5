// The secret chain, in both directions (spec §8.19, §4.2). A secret value may
// only flow into a param marked secret, and a secret agent param may only be
// fed from a secret source: an `env:VAR` whose env entry is `secret: true`, or
// a `{{ params.K }}` whose workflow param is secret. Agent-file and
// server-file links of the chain are checked by the agent rules.

import type { EnvVarConfig, StepConfig, WorkflowFile } from "../../config/types.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";
import { envPrefixName, namespaceRefs, placeholderRefs, wholeParamRef } from "../expressions.ts";
import type { Project } from "../load-project.ts";
import { paramSpecs, secretNames } from "../params.ts";
import { envByName, isRootContext, parsed, stepType, steps } from "./common.ts";

interface Sources {
  env: Map<string, EnvVarConfig>;
  secretParams: Set<string>;
}

export function checkSecretChain(project: Project): void {
  for (const file of parsed(project.workflows.values())) {
    const sources: Sources = {
      env: envByName(file.data.env),
      secretParams: secretNames(paramSpecs(file.data.params?.schema)),
    };
    const root = isRootContext(project, file);
    const links = project.stepLinks.get(file.path) ?? [];
    for (const { step, index, path } of steps(file.data)) {
      const link = links[index] ?? {};
      const type = stepType(step);
      if (type === "agent" && link.agent !== undefined) {
        const agent = project.agents.get(link.agent)?.data;
        if (agent) checkAgentParams(step, path, paramSpecs(agent.params?.schema), sources, root, file.issues);
      }
      if (type === "workflow" && link.workflow !== undefined) {
        const sub = project.workflows.get(link.workflow)?.data;
        if (sub) checkSubWorkflowParams(step, path, sub, sources, file.issues);
      }
    }
  }
}

function checkAgentParams(
  step: StepConfig,
  path: FieldPath,
  declared: ReturnType<typeof paramSpecs>,
  sources: Sources,
  root: boolean,
  issues: FileIssues,
): void {
  for (const spec of declared) {
    const value = step.params?.[spec.name];
    if (typeof value !== "string") continue;
    const at: FieldPath = [...path, "params", spec.name];
    const envName = envPrefixName(value);
    const p = `agent param "${spec.name}"`;

    if (spec.secret) {
      if (envName !== undefined) {
        const entry = sources.env.get(envName);
        if (!root) continue; // env: in a sub-workflow is reported by the env scope rules
        if (!entry) issues.error(at, `${p} is secret but env var "${envName}" is not declared in env:`);
        else if (!entry.secret) issues.error(at, `${p} is secret but env var "${envName}" is not declared secret: true`);
        continue;
      }
      const key = wholeParamRef(value);
      if (key === undefined) {
        issues.error(at, `${p} is secret and must use an env: source (or a secret {{ params.KEY }})`);
      } else if (!sources.secretParams.has(key)) {
        issues.error(at, `${p} is secret but workflow param "${key}" is not marked secret`);
      }
      continue;
    }

    const leak = secretSource(value, sources, false);
    if (leak) issues.error(at, `${p} is not secret but is fed from ${leak}; mark it secret: true`);
  }
}

function checkSubWorkflowParams(step: StepConfig, path: FieldPath, sub: WorkflowFile, sources: Sources, issues: FileIssues): void {
  const subSecret = secretNames(paramSpecs(sub.params?.schema));
  const ref = step.workflow ?? "";
  const check = (name: string, value: unknown, at: FieldPath, bare: boolean): void => {
    if (typeof value !== "string" || subSecret.has(name)) return;
    const leak = secretSource(value, sources, bare);
    if (leak) issues.error(at, `param "${name}" of sub-workflow "${ref}" is not secret but is fed from ${leak}; mark it secret: true in its params.schema`);
  };
  for (const [name, value] of Object.entries(step.params ?? {})) check(name, value, [...path, "params", name], false);
  for (const [name, value] of Object.entries(step.input ?? {})) check(name, value, [...path, "input", name], true);
}

/** Describes the first secret source `value` reads, if any. */
function secretSource(value: string, sources: Sources, bare: boolean): string | undefined {
  const envName = envPrefixName(value);
  const envNames = envName !== undefined ? [envName] : bare ? namespaceRefs(value, "env") : placeholderRefs(value, "env");
  for (const name of envNames) if (sources.env.get(name)?.secret) return `secret env var "${name}"`;
  const params = bare ? namespaceRefs(value, "params") : placeholderRefs(value, "params");
  for (const name of params) if (sources.secretParams.has(name)) return `secret param "${name}"`;
  return undefined;
}
