// One accepted step, start to finish: heartbeat, discovery, the loop, the callback.
// The step's tool credentials are masked in everything sent back or logged.
import type { CallbackPayload, ChatMessage, InvokeRequest } from "../../../shared/contracts/runtime.ts";
import { createScrubber, type Scrubber } from "../../../shared/secrets/scrub.ts";
import { runLoop, type LoopOutcome } from "./agent/loop.ts";
import { redactRequest, secretsOf } from "./credentials.ts";
import { MetricsTally } from "./agent/metrics.ts";
import type { Llm } from "./agent/reflect.ts";
import type { RuntimeEnv } from "./env.ts";
import { callGateway } from "./gateway-client.ts";
import { heartbeatInterval, runtimeId, startHeartbeat } from "./heartbeat.ts";
import { discoverTools } from "./mcp/toolbox.ts";
import { postCallback, postCheckpoint } from "./orchestrator-client.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

/** The masking for one step: the request's tool credentials. */
export function stepScrubber(request: InvokeRequest): Scrubber {
  return createScrubber(secretsOf(request.tool_servers));
}

/**
 * Runs the agent and builds the callback payload, with the step's credentials
 * masked in every field the orchestrator receives. Never throws.
 */
export async function executeStep(env: RuntimeEnv, request: InvokeRequest, received: InvokeRequest, scrub: Scrubber): Promise<CallbackPayload> {
  const metrics = new MetricsTally();
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
  if (!discovery.ok) return payload("failed", { error: scrub.text(discovery.error) });

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
      messages: scrub.value(messages),
      metrics: metrics.snapshot(),
    });

  let outcome: LoopOutcome;
  try {
    outcome = await runLoop(request, { llm, toolbox: discovery.toolbox, metrics, checkpoint });
  } catch (err) {
    return payload("failed", { error: scrub.text(`runtime error: ${errorMessage(err)}`) });
  } finally {
    await discovery.toolbox.close();
  }

  const messages = scrub.value(outcome.messages);
  switch (outcome.status) {
    case "ok":
      return payload("ok", { output: scrub.value(outcome.output), messages });
    case "failed":
      return payload("failed", {
        error: scrub.text(outcome.error),
        messages,
        ...(outcome.raw_output !== undefined ? { raw_output: scrub.text(outcome.raw_output) } : {}),
      });
    case "pending_approval":
      return payload("pending_approval", {
        messages,
        pending_approval: scrub.value(outcome.pending),
        original_request: redactRequest(received),
      });
  }
}

/** The background half of `POST /invoke`: the step leaves `active` before its callback is sent. */
export async function runStep(env: RuntimeEnv, request: InvokeRequest, received: InvokeRequest, scrub: Scrubber): Promise<void> {
  const heartbeat = startHeartbeat(
    env.ORCHESTRATOR,
    { runtime_id: runtimeId(env.KTSU_RUNTIME_ID), active: [{ run_id: request.run_id, step_id: request.step_id }] },
    heartbeatInterval(env.KTSU_HEARTBEAT_INTERVAL_MS),
  );
  let result: CallbackPayload;
  try {
    result = await executeStep(env, request, received, scrub);
  } catch (err) {
    // Whatever happens, the orchestrator hears about the step (it would otherwise wait for a heartbeat timeout).
    result = {
      run_id: request.run_id,
      step_id: request.step_id,
      status: "failed",
      output: null,
      error: scrub.text(`runtime error: ${errorMessage(err)}`),
      metrics: { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 },
      ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
    };
  } finally {
    await heartbeat.stop();
  }
  await postCallback(env.ORCHESTRATOR, request.callback_url, result);
}
