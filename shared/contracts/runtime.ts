// The orchestrator ↔ runtime HTTP contract (invoke, callback, heartbeat), shared by both Workers.
// Documented for humans in docs/contracts.md.

import type { StepMetrics } from "./metrics.ts";

/** A conversation message as the runtime keeps it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ApprovalRuleSpec {
  pattern: string;
  on_reject: "fail" | "recover";
  timeout_ms: number;
  timeout_behavior: "fail" | "reject";
}

/** One MCP server the agent may use, with its resolved auth and params. */
export interface ToolServerSpec {
  name: string;
  /**
   * `http(s)://…`: an external MCP server, reached through the gateway's `/egress`.
   * `ktsu://tools/<name>`: a first-party server of the tools Worker (`/mcp/<name>` on its binding).
   */
  url: string;
  allowlist: string[];
  persistent_id?: string;
  auth_header?: string;
  auth_value?: string;
  params?: Record<string, string>;
  secret_keys?: string[];
  approval_rules?: ApprovalRuleSpec[];
}

/** `POST {runtime}/invoke` body. */
export interface InvokeRequest {
  run_id: string;
  /** For fanout items: `<step>.<index>`. */
  step_id: string;
  agent_name: string;
  system: string;
  user_message: string;
  reflect?: string;
  confidence_threshold?: number;
  max_turns: number;
  model: { group: string; max_tokens: number };
  tool_servers: ToolServerSpec[];
  /** Path on the orchestrator binding; ids are percent-encoded (sub-run ids contain `/`). */
  callback_url: string;
  output_schema?: Record<string, unknown>;
  /** Budget context: the run's `model_policy.cost_budget_usd` (0 = none), passed to the gateway on every call. */
  cost_budget_usd?: number;
  /** The run whose spend the budget counts: the root run (sub-runs share their root's budget). */
  budget_run_id?: string;
  /** Incremented on every dispatch of the same step; callbacks of older attempts are ignored. */
  attempt?: number;
  messages?: ChatMessage[];
  approved_tool_calls?: string[];
  is_resume?: boolean;
  /**
   * Re-dispatch after an eviction: the `turn` of the checkpoint whose `messages` are sent.
   * The loop continues at the next turn instead of with a fresh budget (approval resumes omit it).
   */
  resume_turn?: number;
}

/** The runtime's accepted reply. */
export interface InvokeAccepted {
  run_id: string;
  step_id: string;
  status: "accepted";
}

export interface PendingApproval {
  tool_name: string;
  tool_use_id: string;
  arguments: Record<string, unknown>;
  on_reject: string;
  timeout_ms: number;
  timeout_behavior: string;
}

export interface CallbackMetrics extends StepMetrics {
  model_resolved?: string;
}

/** `POST <callback_url>` body: the runtime's one report of a step's outcome. */
export interface CallbackPayload {
  run_id: string;
  step_id: string;
  status: "ok" | "failed" | "pending_approval";
  output: Record<string, unknown> | null;
  error: string;
  raw_output?: string;
  metrics: CallbackMetrics;
  attempt?: number;
  is_resume?: boolean;
  messages?: ChatMessage[];
  pending_approval?: PendingApproval;
  original_request?: InvokeRequest;
}

/**
 * `POST <checkpointPath>` body: the conversation so far, sent after every LLM reply and every
 * tool result, so a re-dispatch resumes from it and never repeats a tool call.
 * `metrics` covers this invocation only (like a pending approval's partial metrics).
 */
export interface CheckpointPayload {
  attempt?: number;
  /** The turn in progress (1-based); 0 while settling a resume's pending tool calls. */
  turn: number;
  messages: ChatMessage[];
  metrics: CallbackMetrics;
}

/** `POST /heartbeat` body: the steps this runtime is still working on. */
export interface HeartbeatPayload {
  runtime_id: string;
  active: Array<{ run_id: string; step_id: string }>;
}

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

/**
 * The callback path for a step: ids are encoded so sub-run ids (`run_x/step`) stay one
 * segment (unencoded, agent steps inside sub-workflows matched no route and never completed).
 */
export function callbackPath(runId: string, stepId: string): string {
  return `/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/complete`;
}
