// Public API of the project compiler.

export { compileProject, type CompileOptions, type CompileResult } from "./compile.ts";
export { createMemoryFs, type ProjectFs } from "./fs.ts";
export { formatDiagnostic, formatFieldPath, type Diagnostic, type FieldPath } from "./diagnostics.ts";
export {
  REPORT_GROUPS,
  type FileReport,
  type GraphNode,
  type ReportGroup,
  type ValidationReport,
  type WorkflowGraph,
} from "./report.ts";
export { executionLayers, findCycles, stepDependencies, stepReferences, type StepLike, type StepReference } from "./dag.ts";
export { createAjv, createSchemaChecker, type SchemaChecker, type SchemaProblem } from "./json-schema.ts";
export { workflowTree, type TreeNode } from "./tree.ts";
