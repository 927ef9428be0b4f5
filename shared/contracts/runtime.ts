// The orchestrator ↔ runtime HTTP contract, shared by both Workers. The payloads are defined
// once, as the zod schemas in schemas/runtime.ts that both sides validate with; these are their
// types. Documented for humans in docs/contracts.md.

import type { z } from "zod";
import type {
  ApprovalRuleSpecSchema,
  CallbackMetricsSchema,
  CallbackPayloadSchema,
  ChatMessageSchema,
  CheckpointPayloadSchema,
  HeartbeatPayloadSchema,
  InvokeAcceptedSchema,
  InvokeRequestSchema,
  PendingApprovalSchema,
  StepCallSchema,
  ToolCallSchema,
  ToolServerSpecSchema,
} from "./schemas/runtime.ts";

/** A conversation message as the runtime keeps it. */
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export type ToolCall = z.infer<typeof ToolCallSchema>;

/** One LLM or tool call of an agent step, with its times (the step's timeline and trace spans). */
export type StepCall = z.infer<typeof StepCallSchema>;

export type ApprovalRuleSpec = z.infer<typeof ApprovalRuleSpecSchema>;

/** One MCP server the agent may use (`url`: `http(s)://…` external, or `ktsu://tools/<name>` first-party). */
export type ToolServerSpec = z.infer<typeof ToolServerSpecSchema>;

/** `POST {runtime}/invoke` body. */
export type InvokeRequest = z.infer<typeof InvokeRequestSchema>;

/** The runtime's accepted reply. */
export type InvokeAccepted = z.infer<typeof InvokeAcceptedSchema>;

export type PendingApproval = z.infer<typeof PendingApprovalSchema>;

export type CallbackMetrics = z.infer<typeof CallbackMetricsSchema>;

/** `POST <callback_url>` body: a step's result. */
export type CallbackPayload = z.infer<typeof CallbackPayloadSchema>;

/** `POST <checkpointPath>` body: the conversation so far, so a re-dispatch resumes from it. */
export type CheckpointPayload = z.infer<typeof CheckpointPayloadSchema>;

/** `POST /heartbeat` body. */
export type HeartbeatPayload = z.infer<typeof HeartbeatPayloadSchema>;

/** URL scheme naming a first-party MCP server of the tools Worker: `ktsu://tools/<name>`. */
export const FIRST_PARTY_TOOLS_PREFIX = "ktsu://tools/";

/** Headers the runtime sends to first-party MCP servers (never to external ones). */
export const TOOLS_RUN_ID_HEADER = "x-ktsu-run-id";
export const TOOLS_STEP_ID_HEADER = "x-ktsu-step-id";
/** The server's resolved params as a JSON object (stateless servers see no `initialize` state). */
export const TOOLS_PARAMS_HEADER = "x-ktsu-server-params";

/** Where the runtime stores a step's per-turn checkpoint; ids percent-encoded like `callbackPath`. */
export function checkpointPath(runId: string, stepId: string): string {
  return `/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/checkpoint`;
}

/** The callback path for a step: ids are encoded so sub-run ids (`run_x/step`) stay one segment. */
export function callbackPath(runId: string, stepId: string): string {
  return `/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/complete`;
}
