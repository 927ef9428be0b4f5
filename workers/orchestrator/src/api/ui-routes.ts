// Read-only routes for the web run viewer (docs/ui.md): the project's workflows and
// each one's DAG, which the run API does not carry. The UI's own files are static
// assets (wrangler.toml `assets`), served at /ui before this Worker runs.
import { project } from "ktsu-project";
import { bundleEntry, type CompiledStep, type CompiledWorkflow } from "../../../../shared/bundle.ts";
import type { GraphNode, WorkflowGraph } from "../../../../shared/contracts/workflows.ts";
import type { OrchestratorApp } from "./app-type.ts";
import { requireAdminToken } from "./admin-auth.ts";
import { rootRoute, workflowGraphRoute, workflowsRoute } from "./spec.ts";

function detail(step: CompiledStep): string {
  switch (step.type) {
    case "agent":
      return step.agent_ref;
    case "workflow":
      return step.workflow_ref;
    // Templates as written: `env:`/`{{ env.X }}` are not resolved here, so no secret appears.
    case "webhook":
      return `${step.webhook.method.toUpperCase()} ${step.webhook.url}`;
    case "transform": {
      const ops = step.transform.ops.map((op) => Object.keys(op).join("+")).join(" → ");
      const from = step.transform.inputs.map((i) => i.from).join(", ");
      return `${ops || "pass-through"} of ${from || "no input"}`;
    }
  }
}

function node(step: CompiledStep): GraphNode {
  return {
    id: step.id,
    type: step.type,
    dependencies: step.dependencies,
    depends_on: step.depends_on,
    ...(step.condition ? { condition: step.condition } : {}),
    detail: detail(step),
    ...(step.type === "agent" && step.for_each ? { for_each: step.for_each.from } : {}),
    ...(step.type === "webhook" && step.on ? { on: step.on } : {}),
    has_output_schema: step.output !== null,
  };
}

/** The name a run records (`workflow_name`): the invoke name, else the YAML name; the bundle key also works. */
function findWorkflow(name: string): CompiledWorkflow | undefined {
  const all = Object.values(project.workflows);
  return all.find((w) => w.invoke_name === name) ?? all.find((w) => w.name === name) ?? bundleEntry(project.workflows, name);
}

export function registerUiRoutes(app: OrchestratorApp): void {
  // The viewer is the only page this Worker has: send a browser opening the root there.
  app.openapi(rootRoute, (c) => c.redirect("/ui/", 302));

  // The project's structure is the admin's to read, like the runs (KTSU_ADMIN_TOKEN).
  for (const path of ["/workflows", "/workflows/*"]) app.use(path, requireAdminToken);

  app.openapi(workflowsRoute, (c) => {
    const workflows = Object.values(project.workflows).map((w) => ({
      name: w.invoke_name ?? w.name,
      key: w.key,
      visibility: w.visibility,
      ...(w.description ? { description: w.description } : {}),
      steps: w.pipeline.length,
    }));
    return c.json({ workflows }, 200);
  });

  app.openapi(workflowGraphRoute, (c) => {
    const { name } = c.req.valid("param");
    const workflow = findWorkflow(name);
    if (!workflow) return c.json({ error: "not_found", message: `workflow not found: ${name}` }, 404);
    const graph: WorkflowGraph = {
      name: workflow.invoke_name ?? workflow.name,
      key: workflow.key,
      ...(workflow.description ? { description: workflow.description } : {}),
      visibility: workflow.visibility,
      nodes: workflow.pipeline.map(node),
    };
    return c.json(graph, 200);
  });
}
