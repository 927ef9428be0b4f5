import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { CallToolRequestSchema, type CallToolResult, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { retryDurableObjectCall } from "../../../../shared/util/durable-object-retries.ts";
import type { OrchestratorEnv } from "../env.ts";
import { checkParams, findInvocable, isRefusal, newRunId, rootRun } from "../run/admission.ts";
import { runStub } from "../run/stub.ts";
import { awaitRun } from "./await-run.ts";
import { runLog } from "./run-log.ts";
import { startedTask } from "./run-task.ts";
import { registerTaskHandlers } from "./task-handlers.ts";
import { workflowTools } from "./workflow-tools.ts";

const SERVER_INFO = { name: "kimitsu", version: "0.1.0" };

function errorResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

/**
 * The orchestrator's MCP server: every invocable workflow is a tool. A call starts a run with
 * the same checks as `POST /invoke` (its params against `params.schema`, secret params sealed by
 * the run). Called as a task, it answers with the task at once (the task is the run); otherwise
 * it follows the run, sends a progress notification per settled step when the client asked for
 * progress and a log message per step, and answers with the output, the error, or the approval to decide. A waiting
 * approval is asked through elicitation when the client declared it.
 */
export function createWorkflowServer(env: OrchestratorEnv): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: {}, logging: {}, tasks: { cancel: {}, requests: { tools: { call: {} } } } },
    // The SDK's default validator compiles schemas with eval, which workerd forbids.
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    instructions:
      "Each tool runs a Kimitsu workflow and waits for it, or runs it as a task (the task id is the run id). " +
      "A run that needs a human approval asks through elicitation when the client supports it, and otherwise returns how to decide it.",
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: workflowTools() }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const workflow = findInvocable(request.params.name);
    if (isRefusal(workflow)) throw new McpError(ErrorCode.InvalidParams, `no tool named "${request.params.name}"`);
    const params = request.params.arguments ?? {};
    const invalid = checkParams(workflow, params);
    if (invalid) {
      if (request.params.task) throw new McpError(ErrorCode.InvalidParams, invalid.message);
      return errorResult(invalid.message);
    }

    const runId = newRunId();
    await retryDurableObjectCall(() => runStub(env, runId).start(rootRun(workflow, runId, params))); // idempotent by run id
    if (request.params.task) return { task: startedTask(runId) };
    const log = runLog(extra.sendNotification);
    await log.started(runId, request.params.name);
    const progressToken = request.params._meta?.progressToken;
    const total = workflow.pipeline.length;
    const result = await awaitRun({
      env,
      runId,
      extra,
      canElicit: server.getClientCapabilities()?.elicitation !== undefined,
      blockOnWait: false,
      onStepSettled: async (event, settled) => {
        await log.stepSettled(event);
        if (progressToken === undefined) return;
        const message = `step ${event.step_id ?? "?"} ${event.type.replace(/^step_/, "")}`;
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress: settled, ...(settled <= total ? { total } : {}), message },
        });
      },
    });
    await log.ended(runId, result);
    return result;
  });

  registerTaskHandlers(server, env);
  return server;
}
