// Rules about a workflow file on its own: enumerated values, step ids and
// primitives, fanout and transform syntax, reserved names, env declarations
// and invoke auth.

import type { EnvVarConfig, StepConfig, WorkflowFile } from "../../config/types.ts";
import { expressionStepRefs } from "../../expr/index.ts";
import { parseValueSource, sourceExpressions, sourceReads, VALUE_FIELDS } from "../../values/index.ts";
import { isBroken, typeName } from "../decode.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";
import type { Project } from "../load-project.ts";
import { schemaProperties } from "../params.ts";
import { parsed, quoteList, stepPrimitives, steps } from "./common.ts";
import { isPlainObject } from "../../util/objects.ts";

export const TRANSFORM_OPS = ["merge", "filter", "map", "sort", "flatten", "deduplicate"] as const;
const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_PREFIX = "ktsu_";

export function checkWorkflowShapes(project: Project): void {
  for (const file of parsed(project.workflows.values())) checkWorkflow(file.data, file.issues);
}

function checkWorkflow(wf: WorkflowFile, issues: FileIssues): void {
  oneOf(issues, ["visibility"], wf.visibility, ["root", "sub-workflow"]);
  oneOf(issues, ["webhooks"], wf.webhooks, ["execute", "suppress"]);
  checkEnvDeclarations(wf.env, ["env"], issues);
  checkReservedParams(wf.params?.schema, ["params", "schema"], issues);

  for (const key of Object.keys(wf.output?.map ?? {})) {
    if (key.startsWith(RESERVED_PREFIX)) {
      issues.error(["output", "map", key], `output field "${key}" uses the reserved ktsu_ prefix`);
    }
  }

  const timeout = wf.model_policy?.timeout_s;
  if (timeout !== undefined && timeout < 0) issues.error(["model_policy", "timeout_s"], "timeout_s must not be negative");

  const auth = wf.invoke?.auth;
  if (auth) {
    if (auth.scheme !== "bearer" && auth.scheme !== "raw") {
      issues.error(["invoke", "auth", "scheme"], `invoke.auth.scheme must be "bearer" or "raw"${auth.scheme === undefined ? "" : `, got "${auth.scheme}"`}`);
    }
    if (auth.secret === undefined || auth.secret.trim() === "") {
      issues.error(["invoke", "auth", "secret"], "invoke.auth.secret is required");
    } else if (readsBeyondEnv(auth.secret)) {
      issues.error(["invoke", "auth", "secret"], "invoke.auth.secret is checked before the run starts: its templates can read only {{ env.NAME }}");
    }
  }

  const firstIndex = new Map<string, number>();
  for (const { step, index, path } of steps(wf)) {
    if (step.id === undefined || step.id.trim() === "") {
      issues.error([...path, "id"], "step has no id");
    } else if (firstIndex.has(step.id)) {
      issues.error([...path, "id"], `duplicate step id "${step.id}" (first defined at pipeline[${firstIndex.get(step.id)}])`);
    } else {
      firstIndex.set(step.id, index);
    }
    checkStep(step, path, issues);
  }
}

/** A template of `invoke.auth.secret` that reads params or steps, which do not exist yet when it is checked. */
function readsBeyondEnv(secret: string): boolean {
  const source = parseValueSource(secret, VALUE_FIELDS.invokeAuthSecret);
  return sourceReads(source).params.length > 0 || sourceExpressions(source).some((expression) => expressionStepRefs(expression, { flat: true }).length > 0);
}

export function checkEnvDeclarations(env: readonly EnvVarConfig[] | undefined, path: FieldPath, issues: FileIssues): void {
  const seen = new Set<string>();
  env?.forEach((entry, i) => {
    if (isBroken(entry)) return;
    if (entry.name === undefined || entry.name === "") {
      issues.error([...path, i, "name"], "env entry has no name");
    } else if (!ENV_NAME.test(entry.name)) {
      issues.error([...path, i, "name"], `env name "${entry.name}" must match [A-Za-z_][A-Za-z0-9_]*`);
    } else if (seen.has(entry.name)) {
      issues.error([...path, i, "name"], `env var "${entry.name}" is declared twice`);
    } else {
      seen.add(entry.name);
    }
  });
}

export function checkReservedParams(schema: Record<string, unknown> | undefined, path: FieldPath, issues: FileIssues): void {
  for (const name of Object.keys(schemaProperties(schema))) {
    if (name.startsWith(RESERVED_PREFIX)) {
      issues.error([...path, "properties", name], `param name "${name}" uses the reserved ktsu_ prefix`);
    }
  }
}

function checkStep(step: StepConfig, path: FieldPath, issues: FileIssues): void {
  const id = step.id ?? "";
  const kinds = stepPrimitives(step);
  if (kinds.length === 0) {
    issues.error(path, `step "${id}" has no type: set one of agent, transform, webhook or workflow`);
  } else if (kinds.length > 1) {
    issues.error(path, `step "${id}" sets several types (${kinds.join(", ")}); set exactly one`);
  }
  const type = kinds[0];

  if (step.agent !== undefined && step.agent.trim() === "") issues.error([...path, "agent"], "agent ref is empty");
  if (step.workflow !== undefined && step.workflow.trim() === "") issues.error([...path, "workflow"], "workflow ref is empty");

  if (step.for_each && type !== "agent") {
    issues.error([...path, "for_each"], "for_each is only supported on agent steps");
  }
  if (step.for_each) {
    if (step.for_each.from === undefined || step.for_each.from.trim() === "") {
      issues.error([...path, "for_each", "from"], "for_each.from is required");
    }
    if ((step.for_each.max_items ?? 0) < 0) issues.error([...path, "for_each", "max_items"], "max_items must not be negative");
  }

  if (step.on !== undefined) {
    if (step.on !== "approval") issues.error([...path, "on"], `on must be "approval", got "${step.on}"`);
    else if (type !== "webhook") issues.error([...path, "on"], "on: approval is only supported on webhook steps");
  }

  if (step.webhooks !== undefined) {
    oneOf(issues, [...path, "webhooks"], step.webhooks, ["execute", "suppress"]);
    if (type !== "workflow") issues.warn([...path, "webhooks"], "webhooks is only read on workflow steps");
  }
  if (step.input !== undefined && type !== "workflow") issues.warn([...path, "input"], "input is only read on workflow steps");
  for (const [key, value] of Object.entries(step.input ?? {})) {
    if (typeof value !== "string") {
      issues.error([...path, "input", key], `workflow step "${id}" input "${key}": must be a string JMESPath expression`);
    }
  }

  if (step.confidence_threshold !== undefined && (step.confidence_threshold < 0 || step.confidence_threshold > 1)) {
    issues.error([...path, "confidence_threshold"], "confidence_threshold must be between 0 and 1");
  }
  if (step.model?.max_tokens !== undefined && step.model.max_tokens <= 0) {
    issues.error([...path, "model", "max_tokens"], "max_tokens must be positive");
  }

  if (step.webhook) checkWebhook(step.webhook, [...path, "webhook"], issues);
  if (step.transform) checkTransform(step.transform, [...path, "transform"], issues);
}

function checkWebhook(webhook: NonNullable<StepConfig["webhook"]>, path: FieldPath, issues: FileIssues): void {
  if (webhook.url === undefined || webhook.url.trim() === "") issues.error([...path, "url"], "webhook url is required");
  if (webhook.method !== undefined && !HTTP_METHODS.includes(webhook.method.toUpperCase())) {
    issues.error([...path, "method"], `webhook method "${webhook.method}" is not an HTTP method`);
  }
  if (webhook.timeout_s !== undefined && webhook.timeout_s < 0) issues.error([...path, "timeout_s"], "timeout_s must not be negative");
  for (const [key, value] of Object.entries(webhook.body ?? {})) {
    if (typeof value !== "string") {
      issues.warn([...path, "body", key], `webhook body values must be strings (JMESPath); this ${typeName(value)} value is ignored`);
    }
  }
}

function checkTransform(transform: NonNullable<StepConfig["transform"]>, path: FieldPath, issues: FileIssues): void {
  transform.inputs?.forEach((input, i) => {
    if (isBroken(input)) return;
    if (input.from === undefined || input.from.trim() === "") issues.error([...path, "inputs", i, "from"], "transform input needs a from step id");
  });
  transform.ops?.forEach((op, i) => {
    if (isBroken(op)) return;
    const at: FieldPath = [...path, "ops", i];
    const names = Object.keys(op);
    if (names.length !== 1) {
      issues.error(at, `transform op must have exactly one key, got ${names.length}${names.length ? ` (${names.join(", ")})` : ""}`);
    }
    for (const name of names) checkOp(name, op[name], [...at, name], issues);
  });
}

function checkOp(name: string, args: unknown, path: FieldPath, issues: FileIssues): void {
  const exprArg = (key: string, required: boolean): void => {
    if (!isPlainObject(args)) {
      issues.error(path, `op ${name}: expected a mapping with "${key}", got ${typeName(args)}`);
      return;
    }
    const value = args[key];
    if (value === undefined || value === null) {
      if (required) issues.error([...path, key], `op ${name}: "${key}" is required`);
    } else if (typeof value !== "string") {
      issues.error([...path, key], `op ${name}: "${key}" must be a string, got ${typeName(value)}`);
    }
  };

  switch (name) {
    case "merge":
      if (!Array.isArray(args)) issues.error(path, `op merge: expected a list of step ids, got ${typeName(args)}`);
      else {
        for (const [j, id] of args.entries()) if (typeof id !== "string") issues.error([...path, j], `op merge: step id must be a string, got ${typeName(id)}`);
      }
      break;
    case "filter":
    case "map":
      exprArg("expr", true);
      break;
    case "sort":
      exprArg("field", true);
      if (isPlainObject(args) && args.order !== undefined && args.order !== "asc" && args.order !== "desc") {
        issues.error([...path, "order"], `op sort: order must be "asc" or "desc", got "${String(args.order)}"`);
      }
      break;
    case "deduplicate":
      exprArg("field", true);
      break;
    case "flatten":
      break;
    default:
      issues.error(path, `unknown transform op "${name}" (expected one of ${quoteList(TRANSFORM_OPS)})`);
  }
}

function oneOf(issues: FileIssues, path: FieldPath, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    issues.error(path, `${String(path[path.length - 1])} must be ${allowed.map((v) => `"${v}"`).join(" or ")}, got "${value}"`);
  }
}
