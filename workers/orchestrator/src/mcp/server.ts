import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { CallToolRequestSchema, type CallToolResult, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { retryDurableObjectCall } from "../../../../shared/util/durable-object-retries.ts";
import type { OrchestratorEnv } from "../env.ts";
import { checkParams, findInvocable, isRefusal, newRunId, rootRun } from "../run/admission.ts";
import { runStub } from "../run/stub.ts";
import { servedEnvelope } from "../api/routes.ts";
import { followRun } from "./follow-run.ts";
import { runLog } from "./run-log.ts";
import { endedResult, waitingResult } from "./tool-result.ts";
import { workflowTools } from "./workflow-tools.ts";

const SERVER_INFO = { name: "kimitsu", version: "0.1.0" };

function errorResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

/**
 * The orchestrator's MCP server: every invocable workflow is a tool. A call starts a run with
 * the same checks as `POST /invoke` (its params against `params.schema`, secret params sealed by
 * the run), follows the run's events, sends a progress notification per settled step when the
 * client asked for progress, and answers with the output, the error, or the approval to decide.
 */
export function createWorkflowServer(env: OrchestratorEnv): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: {}, logging: {} },
    // The SDK's default validator compiles schemas with eval, which workerd forbids.
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    instructions: "Each tool runs a Kimitsu workflow and waits for it. A run that needs a human approval returns how to decide it.",
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: workflowTools() }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const workflow = findInvocable(request.params.name);
    if (isRefusal(workflow)) throw new McpError(ErrorCode.InvalidParams, `no tool named "${request.params.name}"`);
    const params = request.params.arguments ?? {};
    const invalid = checkParams(workflow, params);
    if (invalid) return errorResult(invalid.message);

    const runId = newRunId();
    await retryDurableObjectCall(() => runStub(env, runId).start(rootRun(workflow, runId, params))); // idempotent by run id
    const log = runLog(extra.sendNotification);
    await log.started(runId, request.params.name);
    const progressToken = request.params._meta?.progressToken;
    const total = workflow.pipeline.length;
    const outcome = await followRun(
      env,
      runId,
      async (event, settled) => {
        await log.stepSettled(event);
        if (progressToken === undefined) return;
        const message = `step ${event.step_id ?? "?"} ${event.type.replace(/^step_/, "")}`;
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress: settled, ...(settled <= total ? { total } : {}), message },
        });
      },
      extra.signal,
    );
    await log.ended(runId, outcome);
    if (outcome.kind === "waiting") return waitingResult(runId, outcome.approval);
    const envelope = await servedEnvelope(env, runId);
    return envelope ? endedResult(envelope) : errorResult(`run ${runId} is not in the Store`);
  });
  return server;
}
