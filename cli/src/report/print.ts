// Plain-text renderings: the grouped validation report, Mermaid step graphs
// and the workflow tree.

import { formatDiagnostic } from "../../../shared/compiler/diagnostics.ts";
import { REPORT_GROUPS, type ValidationReport, type WorkflowGraph } from "../../../shared/compiler/report.ts";
import type { TreeNode } from "../../../shared/compiler/tree.ts";

export function renderReport(report: ValidationReport): string {
  const lines: string[] = [];
  for (const group of REPORT_GROUPS) {
    lines.push(`${group}:`);
    const files = report.files.filter((f) => f.group === group);
    if (files.length === 0) lines.push("  (none)");
    for (const file of files) {
      lines.push(`  ${file.status}  ${file.file}`);
      for (const error of file.errors) lines.push(`        error: ${formatDiagnostic(error)}`);
      for (const warning of file.warnings) lines.push(`        warning: ${formatDiagnostic(warning)}`);
    }
    lines.push("");
  }
  const { total, valid, invalid } = report.summary;
  lines.push(`Summary: ${total} total, ${valid} valid, ${invalid} invalid`);
  return `${lines.join("\n")}\n`;
}

/**
 * What `ktsu start`, `build` and `deploy` say about the workspaces: which were
 * loaded, and the hub lock's warnings (a lock that does not parse is skipped,
 * not fatal, so this is the only place the user learns of it).
 */
export function renderWorkspaceNotes(report: ValidationReport, prefix: string): string {
  const lines: string[] = [];
  if (report.workspaces.length > 0) lines.push(`${prefix}: workspaces: ${report.workspaces.join(", ")}`);
  for (const file of report.files.filter((f) => f.kind === "hub-lock")) {
    for (const warning of file.warnings) lines.push(`${prefix}: warning: ${formatDiagnostic(warning)}`);
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

export function renderMermaid(graphs: readonly WorkflowGraph[]): string {
  return graphs.map(renderGraph).join("\n");
}

function renderGraph(graph: WorkflowGraph): string {
  const lines = [`%% ${graph.file}`, "graph TD"];
  for (const node of graph.nodes) {
    const label = `${node.id} [${node.kind}]`.replace(/"/g, "#quot;");
    lines.push(`  ${node.id}["${label}"]${node.failed ? ":::failed" : ""}`);
  }
  for (const edge of graph.edges) lines.push(`  ${edge.from} --> ${edge.to}`);
  if (graph.nodes.some((n) => n.failed)) lines.push("  classDef failed fill:#fdd,stroke:#c00,color:#900");
  return `${lines.join("\n")}\n`;
}

export function renderTree(root: TreeNode): string {
  const lines: string[] = [];
  const label = (node: TreeNode): string => `${node.path} (${node.kind}${node.error ? `: ${node.error}` : ""})`;
  const walk = (node: TreeNode, indent: string): void => {
    const children = node.children ?? [];
    children.forEach((child, i) => {
      const last = i === children.length - 1;
      lines.push(`${indent}${last ? "└── " : "├── "}${label(child)}`);
      walk(child, `${indent}${last ? "    " : "│   "}`);
    });
  };
  lines.push(label(root));
  walk(root, "");
  return `${lines.join("\n")}\n`;
}
