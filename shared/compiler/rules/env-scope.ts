// Where env values may be read (spec §2.5, §4.1, §8.19). Only a root workflow
// (one invoked directly) has an env context: agent files, server files and
// sub-workflows must not read env, and a root workflow reads only the env vars
// it declares.

import type { WorkflowFile } from "../../config/types.ts";
import { formatFieldPath, type FieldPath, type FileIssues } from "../diagnostics.ts";
import { envPrefixName, namespaceRefs, paramPrefixName, placeholderRefs } from "../expressions.ts";
import type { LoadedFile, Project } from "../load-project.ts";
import { envByName, isRootContext, isSubContext, parsed, stepType, steps, walkStrings, type Loaded } from "./common.ts";

export function checkEnvScopes(project: Project): void {
  for (const file of parsed(project.agents.values())) checkNoEnv(file, "agent file", true);
  for (const file of parsed(project.servers.values())) checkNoEnv(file, "server file", false);
  if (project.manifest?.data) checkNoEnv(project.manifest, "server file", false);

  for (const file of parsed(project.workflows.values())) {
    const refs = workflowEnvRefs(file.data);
    if (isSubContext(project, file)) checkSubWorkflow(file, refs);
    if (isRootContext(project, file)) checkRootWorkflow(file, refs, !isSubContext(project, file));
    checkAgentParamTemplates(file.data, file.issues);
  }
}

/** Agent and server files: no `env:` values and no `{{ env.X }}` (prompts are checked by the prompt rules). */
function checkNoEnv(file: LoadedFile<unknown>, what: string, skipPrompts: boolean): void {
  walkStrings(file.raw, [], (text, path) => {
    const shown = formatFieldPath(path);
    if (envPrefixName(text) !== undefined) {
      file.issues.error(path, `env: reference outside root workflow context in ${what} ${file.display} — ${shown}: "${text}" — use param: instead`);
    } else if (!(skipPrompts && path[0] === "prompt") && placeholderRefs(text, "env").length > 0) {
      file.issues.error(path, `env reference outside root workflow context in ${what} ${file.display} — ${shown}: "${text}" — use params instead`);
    }
  });
}

interface EnvRef {
  name: string;
  path: FieldPath;
  /** `env:NAME` (read from the environment directly) or `env.NAME` in an expression. */
  form: "prefix" | "expression";
}

/** Every env read of a workflow, by field. */
export function workflowEnvRefs(wf: WorkflowFile): EnvRef[] {
  const refs: EnvRef[] = [];
  const expression = (text: string, path: FieldPath): void => {
    const names = text.includes("{{") ? placeholderRefs(text, "env") : namespaceRefs(text, "env");
    for (const name of names) refs.push({ name, path, form: "expression" });
  };
  const templated = (text: string, path: FieldPath): void => {
    const prefixed = envPrefixName(text);
    if (prefixed !== undefined) refs.push({ name: prefixed, path, form: "prefix" });
    else for (const name of placeholderRefs(text, "env")) refs.push({ name, path, form: "expression" });
  };

  for (const { step, path } of steps(wf)) {
    if (step.condition !== undefined) expression(step.condition, [...path, "condition"]);
    // Agent-step param templates see no env; checkAgentParamTemplates reports those.
    const agentStep = stepType(step) === "agent";
    for (const [key, value] of Object.entries(step.params ?? {})) {
      if (typeof value !== "string") continue;
      if (!agentStep) templated(value, [...path, "params", key]);
      else if (envPrefixName(value) !== undefined) refs.push({ name: envPrefixName(value) ?? "", path: [...path, "params", key], form: "prefix" });
    }
    for (const [key, value] of Object.entries(step.input ?? {})) {
      if (typeof value === "string") expression(value, [...path, "input", key]);
    }
    if (step.for_each?.from !== undefined) expression(step.for_each.from, [...path, "for_each", "from"]);
    if (step.webhook?.url !== undefined) templated(step.webhook.url, [...path, "webhook", "url"]);
    for (const [key, value] of Object.entries(step.webhook?.body ?? {})) {
      if (typeof value !== "string") continue;
      const prefixed = envPrefixName(value);
      if (prefixed !== undefined) refs.push({ name: prefixed, path: [...path, "webhook", "body", key], form: "prefix" });
      else expression(value, [...path, "webhook", "body", key]);
    }
  }
  for (const [key, value] of Object.entries(wf.output?.map ?? {})) {
    if (typeof value === "string") expression(value, ["output", "map", key]);
  }
  const secret = wf.invoke?.auth?.secret;
  const prefixed = secret === undefined ? undefined : envPrefixName(secret);
  if (prefixed !== undefined) refs.push({ name: prefixed, path: ["invoke", "auth", "secret"], form: "prefix" });
  return refs;
}

/** A sub-workflow gets no env: every `env:` string and `env.X` read is an error. */
function checkSubWorkflow(file: Loaded<WorkflowFile>, refs: EnvRef[]): void {
  walkStrings(file.raw, [], (text, path) => {
    if (envPrefixName(text) !== undefined) {
      file.issues.error(path, `env: reference outside root workflow context in sub-workflow file ${file.display} — ${formatFieldPath(path)}: "${text}"`);
    }
  });
  for (const ref of refs) {
    if (ref.form !== "expression") continue;
    file.issues.error(
      ref.path,
      `env.${ref.name} reference outside root workflow context in sub-workflow file ${file.display} — sub-workflows get no env; pass the value as a param`,
    );
  }
}

function checkRootWorkflow(file: Loaded<WorkflowFile>, refs: EnvRef[], rootOnly: boolean): void {
  const declared = envByName(file.data.env);
  for (const ref of refs) {
    if (declared.has(ref.name)) continue;
    if (ref.form === "expression") {
      file.issues.error(ref.path, `env var "${ref.name}" is not declared in env:`);
    } else {
      file.issues.warn(ref.path, `env var "${ref.name}" is not declared in env:; declare it so it is provided and, if secret, scrubbed`);
    }
  }

  // `param:` reads the invocation's string params, which a root run does not have.
  if (!rootOnly) return;
  const paramPrefix = (text: string | undefined, path: FieldPath): void => {
    const name = text === undefined ? undefined : paramPrefixName(text);
    if (name !== undefined) file.issues.error(path, `param "${name}" referenced but no params context is available (root workflow)`);
  };
  paramPrefix(file.data.invoke?.auth?.secret, ["invoke", "auth", "secret"]);
  for (const { step, path } of steps(file.data)) {
    paramPrefix(step.webhook?.url, [...path, "webhook", "url"]);
    if (stepType(step) === "workflow") {
      for (const [key, value] of Object.entries(step.params ?? {})) {
        if (typeof value === "string") paramPrefix(value, [...path, "params", key]);
      }
    }
  }
}

/** Agent-step param templates see no env (spec §8.5): `{{ env.X }}` would pass the literal text on. */
function checkAgentParamTemplates(wf: WorkflowFile, issues: FileIssues): void {
  for (const { step, path } of steps(wf)) {
    if (stepType(step) !== "agent") continue;
    for (const [key, value] of Object.entries(step.params ?? {})) {
      if (typeof value !== "string") continue;
      for (const name of placeholderRefs(value, "env")) {
        issues.error([...path, "params", key], `{{ env.${name} }} does not resolve in agent step params; use "env:${name}"`);
      }
    }
  }
}
