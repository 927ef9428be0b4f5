// One agent step, start to finish: discovery, the loop, the callback payload. The
// step's tool credentials are masked in everything sent back or logged. Where the
// step runs (its host, host/step-host.ts) supplies the checkpoint store and call log.
import type { CallbackMetrics, CallbackPayload, ChatMessage, InvokeRequest, StepCall } from "../../../shared/contracts/runtime.ts";
import { createScrubber, type Scrubber } from "../../../shared/secrets/scrub.ts";
import { withoutFinalReply } from "../../../shared/replay/call-record.ts";
import { errorMessage } from "../../../shared/util/errors.ts";
import { CallTimeline } from "./agent/call-timeline.ts";
import { runLoop, type LoopOutcome } from "./agent/loop.ts";
import { MetricsTally } from "./agent/metrics.ts";
import type { Llm } from "./agent/reflect.ts";
import type { CallLog } from "./agent/tool-calls.ts";
import { redactRequest, secretsOf } from "./credentials.ts";
import { callGateway } from "./gateway-client.ts";
import { discoverTools } from "./mcp/toolbox.ts";
import { type CheckpointAnswer, type OrchestratorBinding, postCheckpoint } from "./orchestrator-client.ts";

/** The masking for one step: the request's tool credentials. */
export function stepScrubber(request: InvokeRequest): Scrubber {
  return createScrubber(secretsOf(request.tool_servers));
}

/** A step as its host keeps it: `request` normalized for the loop, `received` as validated (for `original_request`). */
export interface AcceptedStep {
  request: InvokeRequest;
  received: InvokeRequest;
}

/** The conversation after a turn, with this attempt's usage so far (masked, as sent to the orchestrator). */
export interface StepCheckpoint {
  turn: number;
  messages: ChatMessage[];
  metrics: CallbackMetrics;
  /** The attempt's LLM and tool calls so far (kept by the host only: the orchestrator hears of them with the result). */
  calls?: StepCall[];
}

/** The bindings a step reaches the world through. */
export interface StepBindings {
  gateway: Fetcher;
  tools: Fetcher;
  orchestrator: OrchestratorBinding;
}

/** What the step's host lends the loop. */
export interface StepHostHooks {
  /** The host's own last checkpoint, when it resumes after losing the loop (none: it starts over from the request). */
  resumeFrom?: StepCheckpoint;
  /** Keeps a checkpoint in the host (before the orchestrator hears of it). */
  saveCheckpoint(checkpoint: StepCheckpoint): Promise<void>;
  callLog: CallLog;
}

/** The orchestrator no longer runs this attempt (it ended, or re-dispatched the step): the host stops without a callback. */
export class StaleAttempt extends Error {
  constructor(runId: string, stepId: string) {
    super(`step ${runId}/${stepId}: the orchestrator no longer runs this attempt`);
  }
}

/** The request the loop runs: the accepted one, or the host's checkpoint continued. */
function loopRequest(request: InvokeRequest, resumeFrom: StepCheckpoint | undefined): InvokeRequest {
  if (!resumeFrom) return request;
  return { ...request, messages: resumeFrom.messages, is_resume: true, resume_turn: resumeFrom.turn };
}

/**
 * Runs the agent and builds the callback payload, with the step's credentials masked in
 * every field the orchestrator receives. Throws only `StaleAttempt`.
 */
export async function executeStep(bindings: StepBindings, step: AcceptedStep, scrub: Scrubber, hooks: StepHostHooks): Promise<CallbackPayload> {
  const { request, received } = step;
  const metrics = hooks.resumeFrom ? MetricsTally.continuing(hooks.resumeFrom.metrics) : new MetricsTally();
  const timeline = new CallTimeline(hooks.resumeFrom?.calls, (messages) => scrub.value(messages));
  const payload = (status: CallbackPayload["status"], fields: Partial<CallbackPayload> = {}): CallbackPayload => ({
    run_id: request.run_id,
    step_id: request.step_id,
    status,
    output: null,
    error: "",
    metrics: metrics.snapshot(),
    // A successful step's last reply is its output: not kept twice.
    calls: scrub.value(status === "ok" && fields.output ? withoutFinalReply(timeline.list(), fields.output) : timeline.list()),
    ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
    ...(request.is_resume ? { is_resume: true } : {}),
    ...fields,
  });

  const checkpoint = async (turn: number, messages: ChatMessage[]) => {
    const saved: StepCheckpoint = { turn, messages: scrub.value(messages), metrics: metrics.snapshot() };
    await hooks.saveCheckpoint({ ...saved, calls: scrub.value(timeline.list()) });
    const answer: CheckpointAnswer = await postCheckpoint(bindings.orchestrator, request.run_id, request.step_id, {
      ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
      ...saved,
    });
    if (answer === "stale") throw new StaleAttempt(request.run_id, request.step_id);
  };

  // A host resuming after an eviction first asks whether its attempt is still the current one,
  // before it settles any tool call.
  if (hooks.resumeFrom) await checkpoint(hooks.resumeFrom.turn, hooks.resumeFrom.messages);

  const discovery = await discoverTools(request.tool_servers, {
    tools: bindings.tools,
    gateway: bindings.gateway,
    run_id: request.run_id,
    step_id: request.step_id,
    ...(request.traceparent ? { traceparent: request.traceparent } : {}),
  });
  // Discovery failures carry no messages (the loop never started).
  if (!discovery.ok) return payload("failed", { error: scrub.text(discovery.error) });

  const gatewayLlm: Llm = (messages, tools) =>
    callGateway(
      bindings.gateway,
      {
        run_id: request.run_id,
        step_id: request.step_id,
        group: request.model.group,
        max_tokens: request.model.max_tokens,
        ...(request.cost_budget_usd !== undefined ? { cost_budget_usd: request.cost_budget_usd } : {}),
        ...(request.budget_run_id !== undefined ? { budget_run_id: request.budget_run_id } : {}),
        ...(request.traceparent ? { traceparent: request.traceparent } : {}),
      },
      messages,
      tools,
    );
  const llm = timeline.timedLlm(gatewayLlm, request.model.group);
  const toolbox = timeline.timedToolbox(discovery.toolbox);
  let outcome: LoopOutcome;
  try {
    outcome = await runLoop(loopRequest(request, hooks.resumeFrom), { llm, toolbox, metrics, checkpoint, callLog: hooks.callLog });
  } catch (err) {
    if (err instanceof StaleAttempt) throw err;
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

/** The payload for a step whose host failed unexpectedly: the orchestrator hears of it rather than waiting for a timeout. */
export function crashedPayload(request: InvokeRequest, scrub: Scrubber, err: unknown): CallbackPayload {
  return {
    run_id: request.run_id,
    step_id: request.step_id,
    status: "failed",
    output: null,
    error: scrub.text(`runtime error: ${errorMessage(err)}`),
    metrics: { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 },
    ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
  };
}
