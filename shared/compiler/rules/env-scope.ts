// Where env values may be read. Only a root workflow (one invoked directly)
// has an env context: agent files, server files and sub-workflows must not
// read env, and a root workflow reads only the env vars it declares (except
// `invoke.auth.secret`, which reads the Worker's variable directly).

import type { WorkflowFile } from "../../config/types.ts";
import { parseValueSource, sourceReads, VALUE_FIELDS, type ValueField } from "../../values/index.ts";
import { formatFieldPath, type FieldPath } from "../diagnostics.ts";
import { namespaceRefs, placeholderRefs } from "../expressions.ts";
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
  }
}

/** A string written in the legacy `env:NAME` form (matched as written, as the run time does). */
function isLegacyEnv(text: string): boolean {
  return parseValueSource(text, VALUE_FIELDS.paramDefault).kind === "legacy-env";
}

/** Agent and server files: no `env:` values and no `{{ env.X }}` (prompts are checked by the prompt rules). */
function checkNoEnv(file: LoadedFile<unknown>, what: string, skipPrompts: boolean): void {
  walkStrings(file.raw, [], (text, path) => {
    const legacy = isLegacyEnv(text);
    if (legacy || (!(skipPrompts && path[0] === "prompt") && placeholderRefs(text, "env").length > 0)) {
      file.issues.error(
        path,
        `env reference outside root workflow context in ${what} ${file.display} — ${formatFieldPath(path)}: "${text}" — ` +
          "agent and server files get no env; declare a param and pass the value from the root workflow's step",
      );
    }
  });
}

interface EnvRef {
  /** The variable, or null when the whole `env` object is read (`{{ keys(env) }}`). */
  name: string | null;
  path: FieldPath;
  /** How an undeclared variable is reported: the legacy form and `invoke.auth.secret` read the Worker's variable directly. */
  undeclared: "error" | "warn";
  /** Written in the legacy `env:NAME` form. */
  legacy: boolean;
}

/** Every env read of a workflow, by field. */
export function workflowEnvRefs(wf: WorkflowFile): EnvRef[] {
  const refs: EnvRef[] = [];
  const expression = (text: string, path: FieldPath): void => {
    const names = text.includes("{{") ? placeholderRefs(text, "env") : namespaceRefs(text, "env");
    for (const name of names) refs.push({ name, path, undeclared: "error", legacy: false });
  };
  const value = (text: string, path: FieldPath, field: ValueField, undeclared?: "warn"): void => {
    const source = parseValueSource(text, field);
    const reads = sourceReads(source);
    const legacy = source.kind === "legacy-env";
    for (const name of reads.env) refs.push({ name, path, undeclared: undeclared ?? (legacy ? "warn" : "error"), legacy });
    if (reads.envWhole) refs.push({ name: null, path, undeclared: "error", legacy });
  };

  for (const { step, path } of steps(wf)) {
    if (step.condition !== undefined) expression(step.condition, [...path, "condition"]);
    const field = stepType(step) === "agent" ? VALUE_FIELDS.agentStepParam : VALUE_FIELDS.workflowStepParam;
    for (const [key, text] of Object.entries(step.params ?? {})) {
      if (typeof text === "string") value(text, [...path, "params", key], field);
    }
    for (const [key, text] of Object.entries(step.input ?? {})) {
      if (typeof text === "string") expression(text, [...path, "input", key]);
    }
    if (step.for_each?.from !== undefined) expression(step.for_each.from, [...path, "for_each", "from"]);
    if (step.webhook?.url !== undefined) value(step.webhook.url, [...path, "webhook", "url"], VALUE_FIELDS.webhookUrl);
    for (const [key, text] of Object.entries(step.webhook?.body ?? {})) {
      if (typeof text === "string") value(text, [...path, "webhook", "body", key], VALUE_FIELDS.webhookBody);
    }
  }
  for (const [key, text] of Object.entries(wf.output?.map ?? {})) {
    if (typeof text === "string") expression(text, ["output", "map", key]);
  }
  const secret = wf.invoke?.auth?.secret;
  if (secret !== undefined) value(secret, ["invoke", "auth", "secret"], VALUE_FIELDS.invokeAuthSecret, "warn");
  return refs;
}

const SUB_WORKFLOW_ENV = "sub-workflows get no env; pass the value as a param ({{ params.NAME }})";

/** A sub-workflow gets no env: every `env:` string and `env.X` read is an error. */
function checkSubWorkflow(file: Loaded<WorkflowFile>, refs: EnvRef[]): void {
  walkStrings(file.raw, [], (text, path) => {
    if (isLegacyEnv(text)) {
      file.issues.error(
        path,
        `env reference outside root workflow context in sub-workflow file ${file.display} — ${formatFieldPath(path)}: "${text}" — ${SUB_WORKFLOW_ENV}`,
      );
    }
  });
  for (const ref of refs) {
    if (ref.legacy) continue; // reported by the walk above
    const what = ref.name === null ? "env" : `env.${ref.name}`;
    file.issues.error(ref.path, `${what} reference outside root workflow context in sub-workflow file ${file.display} — ${SUB_WORKFLOW_ENV}`);
  }
}

function checkRootWorkflow(file: Loaded<WorkflowFile>, refs: EnvRef[], rootOnly: boolean): void {
  const declared = envByName(file.data.env);
  for (const ref of refs) {
    if (ref.name === null || declared.has(ref.name)) continue;
    if (ref.undeclared === "error") {
      file.issues.error(ref.path, `env var "${ref.name}" is not declared in env:`);
    } else {
      file.issues.warn(ref.path, `env var "${ref.name}" is not declared in env:; declare it so it is provided and, if secret, scrubbed`);
    }
  }

  // The legacy `param:NAME` reads a sub-workflow's string params, which a root run does not have.
  if (!rootOnly) return;
  const paramPrefix = (text: string | undefined, path: FieldPath, field: ValueField): void => {
    const source = text === undefined ? undefined : parseValueSource(text, field);
    if (source?.kind !== "legacy-param") return;
    const hint = path[0] === "invoke" ? "invoke.auth.secret can read only env" : `write "{{ params.${source.name} }}" to read the invocation's params`;
    file.issues.error(path, `param "${source.name}" referenced but no params context is available (root workflow); ${hint}`);
  };
  paramPrefix(file.data.invoke?.auth?.secret, ["invoke", "auth", "secret"], VALUE_FIELDS.invokeAuthSecret);
  for (const { step, path } of steps(file.data)) {
    paramPrefix(step.webhook?.url, [...path, "webhook", "url"], VALUE_FIELDS.webhookUrl);
    if (stepType(step) === "workflow") {
      for (const [key, value] of Object.entries(step.params ?? {})) {
        if (typeof value === "string") paramPrefix(value, [...path, "params", key], VALUE_FIELDS.workflowStepParam);
      }
    }
  }
}
