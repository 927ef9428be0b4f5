// The per-file validation report and the per-workflow step graphs that
// `ktsu validate` prints.

import type { StepType } from "../config/types.ts";
import { stepDependencies } from "./dag.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { allFiles, type FileKind, type LoadedFile, type Project } from "./load-project.ts";
import { relative } from "./paths.ts";
import { parsed, stepType, steps } from "./rules/common.ts";

export type ReportGroup = "Workflows" | "Agents" | "Servers" | "Systems";
export const REPORT_GROUPS: readonly ReportGroup[] = ["Workflows", "Agents", "Servers", "Systems"];

export interface FileReport {
  /** Project-relative path. */
  file: string;
  kind: FileKind;
  group: ReportGroup;
  status: "OKAY" | "FAIL";
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export interface GraphNode {
  id: string;
  kind: StepType | "unknown";
  /** The step, or the file it points at, has errors. */
  failed: boolean;
}

export interface WorkflowGraph {
  file: string;
  nodes: GraphNode[];
  /** `from` must finish before `to`. */
  edges: { from: string; to: string }[];
}

export interface ValidationReport {
  projectDir: string;
  /** Project-relative. */
  workflowDir: string;
  /** The extra workspaces whose workflows were loaded (`--workspace`, then the hub lock), absolute, in lookup order. */
  workspaces: string[];
  /** True when the workflow dir holds no `*.workflow.yaml` (nothing else is checked). */
  noWorkflows: boolean;
  files: FileReport[];
  summary: { total: number; valid: number; invalid: number };
  errors: Diagnostic[];
  warnings: Diagnostic[];
  graphs: WorkflowGraph[];
}

const GROUP: Record<FileKind, ReportGroup> = {
  workflow: "Workflows",
  agent: "Agents",
  server: "Servers",
  "servers-manifest": "Systems",
  gateway: "Systems",
  env: "Systems",
  "hub-lock": "Systems",
};

export function buildReport(project: Project): ValidationReport {
  const files = orderedFiles(project).map(
    (file): FileReport => ({
      file: file.display,
      kind: file.kind,
      group: GROUP[file.kind],
      status: file.issues.ok ? "OKAY" : "FAIL",
      errors: byPosition(file.issues.errors),
      warnings: byPosition(file.issues.warnings),
    }),
  );
  const invalid = files.filter((f) => f.status === "FAIL").length;
  return {
    projectDir: project.projectDir,
    workflowDir: relative(project.projectDir, project.workflowDir),
    workspaces: project.workspaces.slice(1).map((w) => w.dir),
    noWorkflows: project.entryWorkflows.size === 0,
    files,
    summary: { total: files.length, valid: files.length - invalid, invalid },
    errors: files.flatMap((f) => f.errors),
    warnings: files.flatMap((f) => f.warnings),
    graphs: workflowGraphs(project),
  };
}

/** In file order; diagnostics without a position (whole-file problems) first. */
function byPosition(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

const byDisplay = (a: LoadedFile<unknown>, b: LoadedFile<unknown>): number => a.display.localeCompare(b.display);

/** Entry workflows: the project's first, then each workspace's, each by path. */
function byWorkspace(project: Project): (a: LoadedFile<unknown>, b: LoadedFile<unknown>) => number {
  const index = (file: LoadedFile<unknown>): number => project.workspaces.findIndex((w) => w.dir === project.homes.get(file.path));
  return (a, b) => index(a) - index(b) || byDisplay(a, b);
}

/** Workflow-dir files first (workspace by workspace), then other workflows, agents and servers by path, then system files. */
function orderedFiles(project: Project): LoadedFile<unknown>[] {
  const workflows = [...project.workflows.values()];
  const entries = workflows.filter((f) => project.entryWorkflows.has(f.path)).sort(byWorkspace(project));
  const others = workflows.filter((f) => !project.entryWorkflows.has(f.path)).sort(byDisplay);
  const agents = [...project.agents.values()].sort(byDisplay);
  const servers = [...project.servers.values()].sort(byDisplay);
  const systems = allFiles(project).filter((f) => GROUP[f.kind] === "Systems");
  return [...entries, ...others, ...agents, ...servers, ...systems];
}

function workflowGraphs(project: Project): WorkflowGraph[] {
  const hasErrors = (path: string | undefined): boolean => {
    if (path === undefined) return false;
    const file = project.workflows.get(path) ?? project.agents.get(path);
    return file !== undefined && !file.issues.ok;
  };

  return parsed(project.workflows.values())
    .filter((file) => project.entryWorkflows.has(file.path))
    .sort(byWorkspace(project))
    .map((file) => {
      const links = project.stepLinks.get(file.path) ?? [];
      const ids = new Set<string>();
      const nodes: GraphNode[] = [];
      const edges: WorkflowGraph["edges"] = [];
      for (const { step, index } of steps(file.data)) {
        if (step.id === undefined || ids.has(step.id)) continue;
        ids.add(step.id);
        const prefix = `pipeline[${index}]`;
        const stepFailed = file.issues.errors.some((e) => e.path === prefix || e.path.startsWith(`${prefix}.`));
        const link = links[index] ?? {};
        nodes.push({
          id: step.id,
          kind: stepType(step) ?? "unknown",
          failed: stepFailed || hasErrors(link.agent) || hasErrors(link.workflow),
        });
        for (const dep of stepDependencies(step)) edges.push({ from: dep, to: step.id });
      }
      return { file: file.display, nodes, edges };
    });
}
