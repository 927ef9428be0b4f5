// The compiler: load every file, run every rule, report, and — when nothing
// failed — normalize into a bundle. All errors of a project are collected.

import type { JsonSchema, ProjectBundle } from "../config/types.ts";
import type { ProjectFs } from "./fs.ts";
import { createSchemaChecker, type SchemaChecker } from "./json-schema.ts";
import { loadProject, type Project, type ProjectOptions } from "./load-project.ts";
import { normalizeProject } from "./normalize.ts";
import { buildReport, type ValidationReport } from "./report.ts";
import { checkAgents } from "./rules/agent-file.ts";
import { checkBudgets } from "./rules/budget.ts";
import { checkEnvScopes } from "./rules/env-scope.ts";
import { checkGateway } from "./rules/gateway.ts";
import { checkLegacyValues } from "./rules/legacy-values.ts";
import { checkSchemas } from "./rules/schemas.ts";
import { checkSecretChain } from "./rules/secrets.ts";
import { checkServers } from "./rules/server-file.ts";
import { checkStepGraphs } from "./rules/step-graph.ts";
import { checkStepTargets } from "./rules/step-targets.ts";
import { checkWorkflowCycles } from "./rules/workflow-cycles.ts";
import { checkWorkflowShapes } from "./rules/workflow-shape.ts";

export interface CompileOptions extends ProjectOptions {
  /** JSON Schema validity check; defaults to ajv (Node only: it compiles with eval). */
  checkSchema?: SchemaChecker;
}

export interface CompileResult {
  ok: boolean;
  report: ValidationReport;
  /** Present when `ok`. */
  bundle?: ProjectBundle;
  /** Validator key → JSON Schema, for the emitter; empty unless `ok`. */
  schemas: Record<string, JsonSchema>;
}

export function compileProject(fs: ProjectFs, options: CompileOptions): CompileResult {
  const project = loadProject(fs, options);
  if (project.entryWorkflows.size > 0) runRules(project, options.checkSchema ?? createSchemaChecker());

  const report = buildReport(project);
  const ok = !report.noWorkflows && report.errors.length === 0;
  if (!ok) return { ok, report, schemas: {} };
  const { bundle, schemas } = normalizeProject(project);
  return { ok, report, bundle, schemas };
}

function runRules(project: Project, checkSchema: SchemaChecker): void {
  checkWorkflowShapes(project);
  checkStepGraphs(project);
  checkStepTargets(project);
  checkWorkflowCycles(project);
  checkAgents(project);
  checkServers(project);
  checkEnvScopes(project);
  checkSecretChain(project);
  checkLegacyValues(project);
  checkSchemas(project, checkSchema);
  checkGateway(project);
  checkBudgets(project);
}
