// One accepted step, start to finish: heartbeat, discovery, the loop, the callback.
import type { CallbackPayload, ChatMessage, InvokeRequest } from "../../../shared/contracts/runtime.ts";
import { runLoop, type LoopOutcome } from "./agent/loop.ts";
import { MetricsTally } from "./agent/metrics.ts";
import type { Llm } from "./agent/reflect.ts";
import type { RuntimeEnv } from "./env.ts";
import { callGateway } from "./gateway-client.ts";
import { heartbeatInterval, runtimeId, startHeartbeat } from "./heartbeat.ts";
import { discoverTools } from "./mcp/toolbox.ts";
import { postCallback, postCheckpoint } from "./orchestrator-client.ts";
import { redactRequest, scrubSecrets, secretsOf } from "./redact.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

/** Runs the agent and builds the callback payload for the orchestrator. Never throws. */
export async function executeStep(env: RuntimeEnv, request: InvokeRequest, received: InvokeRequest): Promise<CallbackPayload> {
  const metrics = new MetricsTally();
  const secrets = secretsOf(request.tool_servers);
  const payload = (status: CallbackPayload["status"], fields: Partial<CallbackPayload> = {}): CallbackPayload => ({
    run_id: request.run_id,
    step_id: request.step_id,
    status,
    output: null,
    error: "",
    metrics: metrics.snapshot(),
    ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
    ...(request.is_resume ? { is_resume: true } : {}),
    ...fields,
  });

  const discovery = await discoverTools(request.tool_servers, {
    tools: env.TOOLS,
    gateway: env.GATEWAY,
    run_id: request.run_id,
    step_id: request.step_id,
  });
  // Discovery failures carry no messages (the loop never started).
  if (!discovery.ok) return payload("failed", { error: scrubSecrets(discovery.error, secrets) });

  const llm: Llm = (messages, tools) =>
    callGateway(
      env.GATEWAY,
      {
        run_id: request.run_id,
        step_id: request.step_id,
        group: request.model.group,
        max_tokens: request.model.max_tokens,
        ...(request.cost_budget_usd !== undefined ? { cost_budget_usd: request.cost_budget_usd } : {}),
        ...(request.budget_run_id !== undefined ? { budget_run_id: request.budget_run_id } : {}),
      },
      messages,
      tools,
    );
  const checkpoint = (turn: number, messages: ChatMessage[]) =>
    postCheckpoint(env.ORCHESTRATOR, request.run_id, request.step_id, {
      ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
      turn,
      messages: scrubSecrets(messages, secrets),
      metrics: metrics.snapshot(),
    });

  let outcome: LoopOutcome;
  try {
    outcome = await runLoop(request, { llm, toolbox: discovery.toolbox, metrics, checkpoint });
  } catch (err) {
    return payload("failed", { error: scrubSecrets(`runtime error: ${errorMessage(err)}`, secrets) });
  } finally {
    await discovery.toolbox.close();
  }

  const messages = scrubSecrets(outcome.messages, secrets);
  switch (outcome.status) {
    case "ok":
      return payload("ok", { output: scrubSecrets(outcome.output, secrets), messages });
    case "failed":
      return payload("failed", {
        error: scrubSecrets(outcome.error, secrets),
        messages,
        ...(outcome.raw_output !== undefined ? { raw_output: scrubSecrets(outcome.raw_output, secrets) } : {}),
      });
    case "pending_approval":
      return payload("pending_approval", {
        messages,
        pending_approval: scrubSecrets(outcome.pending, secrets),
        original_request: redactRequest(received),
      });
  }
}

/** The background half of `POST /invoke`: the step leaves `active` before its callback is sent. */
export async function runStep(env: RuntimeEnv, request: InvokeRequest, received: InvokeRequest): Promise<void> {
  const heartbeat = startHeartbeat(
    env.ORCHESTRATOR,
    { runtime_id: runtimeId(env.KTSU_RUNTIME_ID), active: [{ run_id: request.run_id, step_id: request.step_id }] },
    heartbeatInterval(env.KTSU_HEARTBEAT_INTERVAL_MS),
  );
  let result: CallbackPayload;
  try {
    result = await executeStep(env, request, received);
  } catch (err) {
    // Whatever happens, the orchestrator hears about the step (it would otherwise wait for a heartbeat timeout).
    result = {
      run_id: request.run_id,
      step_id: request.step_id,
      status: "failed",
      output: null,
      error: `runtime error: ${errorMessage(err)}`,
      metrics: { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 },
      ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
    };
  } finally {
    await heartbeat.stop();
  }
  await postCallback(env.ORCHESTRATOR, request.callback_url, result);
}
