// Warnings for the value forms that predate `{{ }}`: `env:NAME`, `param:NAME`
// and backtick-quoted literals. They still resolve, so existing projects run
// unchanged; each use is reported with the `{{ }}` text to write instead.
// Uses that are errors where they stand (env outside a root workflow, or
// `param:` in a workflow only ever invoked directly) are left to the rules
// that report them.

import type { WorkflowFile } from "../../config/types.ts";
import { legacyForm, parseValueSource, templateReplacement, VALUE_FIELDS, type ValueField } from "../../values/index.ts";
import { isBroken } from "../decode.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";
import type { Project } from "../load-project.ts";
import { isRootContext, isSubContext, parsed, stepType, steps } from "./common.ts";

interface Context {
  issues: FileIssues;
  /** Env can be read here (a workflow that is never a sub-workflow). */
  envAllowed: boolean;
  /** `param:` can resolve here (a workflow that runs as a sub-workflow). */
  paramAllowed: boolean;
}

function checkValue(text: unknown, path: FieldPath, field: ValueField, ctx: Context): void {
  if (typeof text !== "string") return;
  const source = parseValueSource(text, field);
  const form = legacyForm(source);
  if (form === undefined) return;
  if ((form === "env" && !ctx.envAllowed) || (form === "param" && !ctx.paramAllowed)) return;
  const replacement = templateReplacement(source, field);
  ctx.issues.warn(path, `"${text}" uses the legacy value syntax; write "${replacement}" instead`);
}

function checkWorkflow(wf: WorkflowFile, ctx: Context): void {
  checkValue(wf.invoke?.auth?.secret, ["invoke", "auth", "secret"], VALUE_FIELDS.invokeAuthSecret, { ...ctx, envAllowed: true, paramAllowed: false });
  for (const { step, path } of steps(wf)) {
    const field = stepType(step) === "agent" ? VALUE_FIELDS.agentStepParam : VALUE_FIELDS.workflowStepParam;
    for (const [key, value] of Object.entries(step.params ?? {})) checkValue(value, [...path, "params", key], field, ctx);
    checkValue(step.webhook?.url, [...path, "webhook", "url"], VALUE_FIELDS.webhookUrl, ctx);
    for (const [key, value] of Object.entries(step.webhook?.body ?? {})) {
      checkValue(value, [...path, "webhook", "body", key], VALUE_FIELDS.webhookBody, ctx);
    }
  }
}

export function checkLegacyValues(project: Project): void {
  for (const file of parsed(project.workflows.values())) {
    const sub = isSubContext(project, file);
    checkWorkflow(file.data, { issues: file.issues, envAllowed: !sub, paramAllowed: sub || !isRootContext(project, file) });
  }
  // Agent and server files never read env (the env scope rules report it), so only backticks are left.
  const noEnv = { envAllowed: false, paramAllowed: false };
  for (const file of parsed(project.agents.values())) {
    file.data.servers?.forEach((entry, i) => {
      if (isBroken(entry)) return;
      for (const [key, value] of Object.entries(entry.params ?? {})) {
        checkValue(value, ["servers", i, "params", key], VALUE_FIELDS.serverParam, { issues: file.issues, ...noEnv });
      }
    });
  }
  for (const file of parsed(project.servers.values())) {
    checkValue(file.data.auth?.secret, ["auth", "secret"], VALUE_FIELDS.serverAuthSecret, { issues: file.issues, ...noEnv });
  }
}
