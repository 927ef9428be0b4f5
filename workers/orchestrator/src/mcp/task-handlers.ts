import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CancelTaskRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  McpError,
  RELATED_TASK_META_KEY,
  type ServerResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { OrchestratorEnv } from "../env.ts";
import { cancelByRequest } from "../run/cancel-by-request.ts";
import { awaitRun } from "./await-run.ts";
import { runTask } from "./run-task.ts";

function notFound(taskId: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `no task ${taskId}`);
}

/**
 * The MCP Tasks requests on runs a `tools/call` started as a task: `tasks/get` reads the run's
 * status, `tasks/result` waits for its end (asking a waiting approval through elicitation when
 * the client can answer) and returns the tool result, `tasks/cancel` cancels the run.
 * Every answer comes from the run itself, so any session, or none, may ask.
 */
export function registerTaskHandlers(server: Server, env: OrchestratorEnv): void {
  // The SDK types a handler's result as ServerResult, which does not list the task results it accepts.
  const asResult = (value: object) => value as ServerResult;

  server.setRequestHandler(GetTaskRequestSchema, async (request) => {
    const task = await runTask(env, request.params.taskId);
    if (!task) throw notFound(request.params.taskId);
    return asResult(task);
  });

  server.setRequestHandler(GetTaskPayloadRequestSchema, async (request, extra) => {
    const { taskId } = request.params;
    if (!(await runTask(env, taskId))) throw notFound(taskId);
    const canElicit = server.getClientCapabilities()?.elicitation !== undefined;
    const result = await awaitRun({ env, runId: taskId, extra, canElicit, blockOnWait: true });
    return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
  });

  server.setRequestHandler(CancelTaskRequestSchema, async (request) => {
    const { taskId } = request.params;
    if (!(await runTask(env, taskId))) throw notFound(taskId);
    const cancelled = await cancelByRequest(env, taskId);
    if (cancelled.status === 409) throw new McpError(ErrorCode.InvalidParams, `task ${taskId} has ended already: ${cancelled.message ?? ""}`);
    const task = await runTask(env, taskId);
    if (!task) throw notFound(taskId);
    return asResult(task);
  });
}
