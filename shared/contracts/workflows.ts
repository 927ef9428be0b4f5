// `GET /workflows` and `GET /workflows/{name}/graph`: the project's workflows and their
// DAGs as the run viewer reads them (served by workers/orchestrator/src/api/ui-routes.ts).
import type { StepType } from "../config/types.ts";

/** One DAG node: what the viewer draws and shows before the step has run. */
export interface GraphNode {
  id: string;
  type: StepType;
  /** The DAG edges into this node: `depends_on` plus inferred `step.X` references. */
  dependencies: string[];
  depends_on: string[];
  condition?: string;
  /** A one-line description: the agent, sub-workflow, webhook target or transform ops. */
  detail: string;
  for_each?: string;
  /** `on: approval` webhooks are not DAG steps: they are sent when an approval opens. */
  on?: string;
  has_output_schema: boolean;
}

export interface WorkflowGraph {
  name: string;
  key: string;
  description?: string;
  visibility: "root" | "sub-workflow";
  nodes: GraphNode[];
}

/** One entry of `GET /workflows`. */
export interface WorkflowSummary {
  name: string;
  key: string;
  visibility: "root" | "sub-workflow";
  description?: string;
  steps: number;
}
