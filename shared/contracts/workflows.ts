// `GET /workflows` and `GET /workflows/{name}/graph`: the project's workflows and their
// DAGs as the run viewer reads them (served by workers/orchestrator/src/api/ui-routes.ts).
// Defined once as the zod schemas in schemas/workflows.ts; these are their types.
import type { z } from "zod";
import type { GraphNodeSchema, WorkflowGraphSchema, WorkflowSummarySchema } from "./schemas/workflows.ts";

/** One DAG node: what the viewer draws and shows before the step has run. */
export type GraphNode = z.infer<typeof GraphNodeSchema>;

export type WorkflowGraph = z.infer<typeof WorkflowGraphSchema>;

/** One entry of `GET /workflows`. */
export type WorkflowSummary = z.infer<typeof WorkflowSummarySchema>;
