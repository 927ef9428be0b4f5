// The orchestrator ↔ runtime HTTP contract (spec §6), shared by both Workers.
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

/** One MCP server the agent may use (spec §6.1 ToolServerSpec). */
export interface ToolServerSpec {
  name: string;
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

/** `POST <callback_url>` body (spec §6.2). */
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

/** `POST /heartbeat` body (spec §6.3). */
export interface HeartbeatPayload {
  runtime_id: string;
  active: Array<{ run_id: string; step_id: string }>;
}

/** The callback path for a step: ids are encoded so sub-run ids (`run_x/step`) stay one segment (bug B1). */
export function callbackPath(runId: string, stepId: string): string {
  return `/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/complete`;
}
