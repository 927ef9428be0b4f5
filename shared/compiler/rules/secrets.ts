// The secret chain, in both directions. A secret value may
// only flow into a param marked secret, and a secret agent param may only be
// fed from a secret source: a `{{ env.VAR }}` (or legacy `env:VAR`) whose env
// entry is `secret: true`, or a `{{ params.K }}` whose workflow param is secret. Agent-file and
// server-file links of the chain are checked by the agent rules.

import type { EnvVarConfig, StepConfig, WorkflowFile } from "../../config/types.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";
import { parseValueSource, sourceReads, VALUE_FIELDS, type ValueField } from "../../values/index.ts";
import { namespaceRefs } from "../expressions.ts";
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
    const source = parseValueSource(value, VALUE_FIELDS.agentStepParam);
    const direct = sourceReads(source).direct;
    const p = `agent param "${spec.name}"`;

    if (spec.secret) {
      if (direct?.namespace === "env") {
        const entry = sources.env.get(direct.name);
        if (!root) continue; // env in a sub-workflow is reported by the env scope rules
        // An undeclared `{{ env.X }}` is already an error of the env scope rules (the legacy form only a warning there).
        if (!entry) {
          if (source.kind === "legacy-env") issues.error(at, `${p} is secret but env var "${direct.name}" is not declared in env:`);
        } else if (!entry.secret) issues.error(at, `${p} is secret but env var "${direct.name}" is not declared secret: true`);
        continue;
      }
      if (direct === undefined) {
        issues.error(
          at,
          `${p} is secret and must be fed from a secret source: "{{ env.NAME }}" (declared secret: true) or "{{ params.NAME }}" (a secret param)`,
        );
      } else if (!sources.secretParams.has(direct.name)) {
        issues.error(at, `${p} is secret but workflow param "${direct.name}" is not marked secret`);
      }
      continue;
    }

    const leak = secretSource(value, sources, VALUE_FIELDS.agentStepParam);
    if (leak) issues.error(at, `${p} is not secret but is fed from ${leak}; mark it secret: true`);
  }
}

function checkSubWorkflowParams(step: StepConfig, path: FieldPath, sub: WorkflowFile, sources: Sources, issues: FileIssues): void {
  const subSecret = secretNames(paramSpecs(sub.params?.schema));
  const ref = step.workflow ?? "";
  const check = (name: string, value: unknown, at: FieldPath, field: ValueField | "bare"): void => {
    if (typeof value !== "string" || subSecret.has(name)) return;
    const leak = secretSource(value, sources, field);
    if (leak) issues.error(at, `param "${name}" of sub-workflow "${ref}" is not secret but is fed from ${leak}; mark it secret: true in its params.schema`);
  };
  for (const [name, value] of Object.entries(step.params ?? {})) check(name, value, [...path, "params", name], VALUE_FIELDS.workflowStepParam);
  for (const [name, value] of Object.entries(step.input ?? {})) check(name, value, [...path, "input", name], "bare");
}

/** Describes the first secret source `value` reads, if any: a value source of `field`, or a bare expression (`input`). */
function secretSource(value: string, sources: Sources, field: ValueField | "bare"): string | undefined {
  const reads = field === "bare" ? { env: namespaceRefs(value, "env"), params: namespaceRefs(value, "params") } : sourceReads(parseValueSource(value, field));
  for (const name of reads.env) if (sources.env.get(name)?.secret) return `secret env var "${name}"`;
  for (const name of reads.params) if (sources.secretParams.has(name)) return `secret param "${name}"`;
  return undefined;
}
