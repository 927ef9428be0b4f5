// The runtime/orchestrator → gateway HTTP contract (`POST /invoke` with a model
// group and messages, plus the per-run budget extension), shared by the gateway
// and its callers. Documented in docs/gateway.md.

/** A tool call as the model asked for it; `arguments` is always a JSON object. */
export interface GatewayToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type GatewayRole = "system" | "user" | "assistant" | "tool";

/**
 * One conversation message. Assistant turns may carry `tool_calls`; a `tool`
 * message answers the call named by `tool_call_id` with `content` as its result.
 */
export interface GatewayMessage {
  role: GatewayRole;
  content?: string;
  tool_calls?: GatewayToolCall[];
  tool_call_id?: string;
}

/** A tool the model may call; `input_schema` is a JSON Schema object. */
export interface GatewayTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

/** `POST /invoke` body. */
export interface GatewayInvokeRequest {
  run_id: string;
  step_id: string;
  /** Model group name from gateway.yaml. */
  group: string;
  messages: GatewayMessage[];
  /** Positive integer; also bounds the budget reservation. */
  max_tokens: number;
  /** Defaults to the group's `default_temperature` (0 when unset). */
  temperature?: number;
  tools?: GatewayTool[];
  /** The run's `model_policy.cost_budget_usd`; absent or 0 = not limited. */
  cost_budget_usd?: number;
  /** The run whose spend the budget counts (the root run); defaults to `run_id`. */
  budget_run_id?: string;
}

/** `POST /invoke` 200 body. */
export interface GatewayInvokeResponse {
  /** The model's text; `""` when it only asked for tools. */
  content: string;
  /** `<provider>/<model-id>` exactly as written in the group. */
  model_resolved: string;
  /** All input tokens, cache reads and writes included. */
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  tool_calls?: GatewayToolCall[];
  /** Input tokens served from the provider's prompt cache (part of `tokens_in`). */
  cache_read_tokens?: number;
  /** Input tokens written to the provider's prompt cache (part of `tokens_in`). */
  cache_write_tokens?: number;
}

export type GatewayErrorType =
  | "invalid_request"
  | "payload_too_large"
  | "unknown_group"
  | "budget_exceeded"
  | "no_models_available"
  | "invalid_model_config"
  | "provider_not_registered"
  | "provider_error"
  | "internal_error";

/** Every non-200 `/invoke` reply. */
export interface GatewayErrorBody {
  error: GatewayErrorType;
  message: string;
  /** True when sending the same request again may succeed (rate limits, upstream outages). */
  retryable: boolean;
}

/** HTTP status of each error type. */
export const GATEWAY_ERROR_STATUS: Record<GatewayErrorType, number> = {
  invalid_request: 400,
  payload_too_large: 413,
  unknown_group: 400,
  budget_exceeded: 402,
  no_models_available: 503,
  invalid_model_config: 500,
  provider_not_registered: 500,
  provider_error: 502,
  internal_error: 500,
};

/** `GET /budget/:run_id` 200 body. A run the gateway never saw reports zeros. */
export interface BudgetReport {
  run_id: string;
  /** The latest positive `cost_budget_usd` seen for the run; 0 = not limited. */
  budget_usd: number;
  /** Settled cost of every successful provider call. */
  spent_usd: number;
  /** Held by calls in flight. */
  reserved_usd: number;
  /** Successful provider calls. */
  calls: number;
  /** Calls refused by the budget without reaching a provider. */
  rejected: number;
  /** Settled cost per step id. */
  by_step: Record<string, number>;
}
