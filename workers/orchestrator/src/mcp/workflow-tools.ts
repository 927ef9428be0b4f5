import { project } from "ktsu-project";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { CompiledWorkflow } from "../../../../shared/bundle.ts";

/** The workflows a caller may invoke: named, and not `visibility: sub-workflow`. */
export function invocableWorkflows(): CompiledWorkflow[] {
  return Object.values(project.workflows).filter((w) => w.invoke_name !== null && w.visibility !== "sub-workflow");
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The tool's `inputSchema`: the workflow's `params.schema` as written. A secret param stays an
 * input the client must send (the run seals it, as on `POST /invoke`), marked `writeOnly` so a
 * client knows the value is never shown back.
 */
function inputSchema(workflow: CompiledWorkflow): Tool["inputSchema"] {
  const written = workflow.params.schema?.schema;
  if (!isObject(written)) return { type: "object" };
  const properties = isObject(written.properties) ? { ...written.properties } : undefined;
  if (properties) {
    for (const param of workflow.params.declared) {
      const property = properties[param.name];
      if (param.secret && isObject(property)) properties[param.name] = { ...property, writeOnly: true };
    }
  }
  return { ...written, type: "object", ...(properties ? { properties } : {}) } as Tool["inputSchema"];
}

function describe(workflow: CompiledWorkflow): string {
  const about = workflow.description?.trim() || `Runs the Kimitsu workflow "${workflow.invoke_name}".`;
  return `${about} Waits for the run (or runs as a task) and returns its output; a human approval it waits for is asked through elicitation, or the result says how to decide it.`;
}

/** One MCP tool per invocable workflow, named by its invoke name. */
export function workflowTools(): Tool[] {
  return invocableWorkflows().map((workflow) => ({
    name: workflow.invoke_name!,
    ...(workflow.name !== workflow.invoke_name ? { title: workflow.name } : {}),
    description: describe(workflow),
    inputSchema: inputSchema(workflow),
    // A workflow may outlive a client's request timeout: a client may run it as a task (tasks/get, tasks/result).
    execution: { taskSupport: "optional" },
  }));
}
