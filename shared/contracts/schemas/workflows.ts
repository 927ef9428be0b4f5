// `GET /workflows` and `GET /workflows/{name}/graph` as zod schemas: the project's workflows and
// their DAGs as the run viewer reads them (shared/contracts/workflows.ts derives the types).
import { z } from "zod";
import { StepTypeSchema } from "./records.ts";

const VisibilitySchema = z.enum(["root", "sub-workflow"]);

/** One DAG node: what the viewer draws and shows before the step has run. */
export const GraphNodeSchema = z.object({
  id: z.string(),
  type: StepTypeSchema,
  dependencies: z.array(z.string()).describe("The DAG edges into this node: `depends_on` plus inferred `step.X` references"),
  depends_on: z.array(z.string()),
  condition: z.string().optional(),
  detail: z.string().describe("A one-line description: the agent, sub-workflow, webhook target or transform ops"),
  for_each: z.string().optional(),
  on: z.string().optional().describe("`on: approval` webhooks are not DAG steps: they are sent when an approval opens"),
  has_output_schema: z.boolean(),
});

export const WorkflowGraphSchema = z
  .object({
    name: z.string(),
    key: z.string(),
    description: z.string().optional(),
    visibility: VisibilitySchema,
    nodes: z.array(GraphNodeSchema),
  })
  .meta({ id: "WorkflowGraph" });

/** One entry of `GET /workflows`. */
export const WorkflowSummarySchema = z
  .object({
    name: z.string(),
    key: z.string(),
    visibility: VisibilitySchema,
    description: z.string().optional(),
    steps: z.number().int(),
  })
  .meta({ id: "WorkflowSummary" });
