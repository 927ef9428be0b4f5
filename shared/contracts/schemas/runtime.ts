// The orchestrator ↔ runtime contract as zod schemas: the one definition of its types
// (shared/contracts/runtime.ts derives them) and the validators both Workers run on what
// they receive: the runtime on `POST /invoke`, the orchestrator on step results, checkpoints
// and heartbeats.
import { z } from "zod";
import { StepMetricsSchema } from "./metrics.ts";

const jsonObject = z.record(z.string(), z.unknown());

export const ToolCallSchema = z.object({ id: z.string(), name: z.string(), arguments: jsonObject });

/** A conversation message as the runtime keeps it. */
export const ChatMessageSchema = z
  .object({
    role: z.enum(["system", "user", "assistant", "tool"]),
    content: z.string(),
    tool_calls: z.array(ToolCallSchema).optional(),
    tool_call_id: z.string().optional(),
  })
  .meta({ id: "ChatMessage" });

const callTimes = { started_at: z.string(), ended_at: z.string(), error: z.string().optional() };

/**
 * What a fanout item's LLM call keeps for `ktsu replay` (an item's conversation is not stored):
 * the fingerprint of the messages sent, and the model's reply when a later call or tool result
 * depends on it (a successful item's last reply is its output, which is stored anyway).
 */
const replayedLlmCall = {
  /** shared/replay/fingerprint.ts of the (masked) messages sent. */
  prompt: z.string().optional(),
  reply: z.object({ content: z.string(), tool_calls: z.array(ToolCallSchema).optional() }).optional(),
};

/**
 * One LLM or tool call of an agent step, as the step's timeline and its trace spans show it:
 * the call's times and what answered it. A step keeps its content in `messages`; a fanout
 * item, which keeps no messages, keeps a request fingerprint, the replies and the tool results
 * its replay needs (bounded per item, see shared/replay/call-record.ts).
 */
export const StepCallSchema = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("llm"),
      ...callTimes,
      /** The model group the step asked for. */
      group: z.string(),
      /** `<provider>/<model-id>` that answered; absent when the call failed. */
      model: z.string().optional(),
      tokens_in: z.number().int().nonnegative(),
      tokens_out: z.number().int().nonnegative(),
      cost_usd: z.number(),
      ...replayedLlmCall,
    }),
    z.object({
      kind: z.literal("tool"),
      ...callTimes,
      server: z.string(),
      tool: z.string(),
      /** A fanout item's tool result, for `ktsu replay`. */
      result: z.string().optional(),
    }),
  ])
  .meta({ id: "StepCall" });

export const ApprovalRuleSpecSchema = z.object({
  pattern: z.string(),
  on_reject: z.enum(["fail", "recover"]),
  timeout_ms: z.number(),
  timeout_behavior: z.enum(["fail", "reject"]),
});

/** A server's resolved params, as the runtime sends them to a first-party server (header TOOLS_PARAMS_HEADER). */
export const ServerParamsSchema = z.record(z.string(), z.string());

/** One MCP server the agent may use. */
export const ToolServerSpecSchema = z.object({
  name: z.string(),
  /**
   * `http(s)://…`: an external MCP server, reached through the gateway's `/egress`.
   * `ktsu://tools/<name>`: a first-party server of the tools Worker (`/mcp/<name>` on its binding).
   */
  url: z.string(),
  allowlist: z.array(z.string()),
  persistent_id: z.string().optional(),
  auth_header: z.string().optional(),
  auth_value: z.string().optional(),
  params: ServerParamsSchema.optional(),
  secret_keys: z.array(z.string()).optional(),
  approval_rules: z.array(ApprovalRuleSpecSchema).optional(),
});

/** `POST {runtime}/invoke` body. */
export const InvokeRequestSchema = z.object({
  run_id: z.string(),
  /** For fanout items: `<step>.<index>`. */
  step_id: z.string(),
  /**
   * W3C trace context of the step's span: the runtime's step host keeps it with the step and
   * sends it on as the `traceparent` header of the step's gateway and tool calls.
   */
  traceparent: z.string().optional(),
  agent_name: z.string(),
  system: z.string(),
  user_message: z.string(),
  reflect: z.string().optional(),
  confidence_threshold: z.number().optional(),
  max_turns: z.number(),
  model: z.object({ group: z.string(), max_tokens: z.number() }),
  tool_servers: z.array(ToolServerSpecSchema),
  /** Path on the orchestrator binding; ids are percent-encoded (sub-run ids contain `/`). */
  callback_url: z.string(),
  output_schema: jsonObject.optional(),
  /** Budget context: the run's `model_policy.cost_budget_usd` (0 = none), passed to the gateway on every call. */
  cost_budget_usd: z.number().optional(),
  /** The run whose spend the budget counts: the root run (sub-runs share their root's budget). */
  budget_run_id: z.string().optional(),
  /** Incremented on every dispatch of the same step; callbacks of older attempts are ignored. */
  attempt: z.number().int().optional(),
  /**
   * Steps of one run with the same host key run in one shared host (a fanout's items, a few
   * items per key); absent, the step attempt has a host of its own. See shared/contracts/step-host.ts.
   */
  host_key: z.string().optional(),
  messages: z.array(ChatMessageSchema).optional(),
  approved_tool_calls: z.array(z.string()).optional(),
  is_resume: z.boolean().optional(),
  /**
   * Re-dispatch after an eviction: the `turn` of the checkpoint whose `messages` are sent.
   * The loop continues at the next turn instead of with a fresh budget (approval resumes omit it).
   */
  resume_turn: z.number().int().optional(),
});

/**
 * What the runtime accepts on `POST /invoke`: the ids and callback are required (checked
 * first, with the original's message), the rest may be absent and takes the loop's defaults;
 * a field that is present must have its type. `output_schema: null` is read as absent.
 */
export const ReceivedInvokeRequestSchema = InvokeRequestSchema.extend({
  agent_name: z.string().default(""),
  system: z.string().default(""),
  user_message: z.string().default(""),
  max_turns: z.number().default(10),
  model: z.object({ group: z.string().default(""), max_tokens: z.number().default(1024) }).default({ group: "", max_tokens: 1024 }),
  tool_servers: z.array(ToolServerSpecSchema).default([]),
  output_schema: jsonObject.nullable().optional(),
});

/** The runtime's accepted reply. */
export const InvokeAcceptedSchema = z.object({ run_id: z.string(), step_id: z.string(), status: z.literal("accepted") });

export const PendingApprovalSchema = z.object({
  tool_name: z.string(),
  tool_use_id: z.string(),
  arguments: jsonObject,
  on_reject: z.string(),
  timeout_ms: z.number(),
  timeout_behavior: z.string(),
});

/** A step invocation's usage: the step metrics, the models that answered included (shared/contracts/models-resolved.ts). */
export const CallbackMetricsSchema = StepMetricsSchema;

/** `POST <callback_url>` body: a step's result. */
export const CallbackPayloadSchema = z.object({
  run_id: z.string(),
  step_id: z.string(),
  status: z.enum(["ok", "failed", "pending_approval"]),
  output: jsonObject.nullable(),
  error: z.string(),
  raw_output: z.string().optional(),
  metrics: CallbackMetricsSchema,
  attempt: z.number().int().optional(),
  is_resume: z.boolean().optional(),
  messages: z.array(ChatMessageSchema).optional(),
  /** This invocation's LLM and tool calls (a resumed host's include the ones before its eviction). */
  calls: z.array(StepCallSchema).optional(),
  pending_approval: PendingApprovalSchema.optional(),
  original_request: InvokeRequestSchema.optional(),
  /**
   * A fanout item's host started the item that waited behind this one (its step id) when this
   * result was ready. Absent while an item waited behind this one: the host may have lost it (an
   * eviction), so the orchestrator dispatches it again if no heartbeat of it comes before its deadline.
   */
  started_next: z.string().optional(),
});

/**
 * `POST <checkpointPath>` body: the conversation so far, sent after every LLM reply and every
 * tool result, so a re-dispatch resumes from it and never repeats a tool call.
 * `metrics` covers this invocation only (like a pending approval's partial metrics).
 */
export const CheckpointPayloadSchema = z.object({
  attempt: z.number().int().optional(),
  /** The turn in progress (1-based); 0 while settling a resume's pending tool calls. */
  turn: z.number().int(),
  messages: z.array(ChatMessageSchema),
  metrics: CallbackMetricsSchema,
});

/** `POST /heartbeat` body. */
export const HeartbeatPayloadSchema = z.object({
  runtime_id: z.string(),
  active: z.array(z.object({ run_id: z.string(), step_id: z.string() })),
});

/**
 * Usage as the orchestrator accepts it from a runtime: any field may be absent (the run counts
 * it as 0), a present one must be a number (a boolean for `reflected`).
 */
export const ReceivedMetricsSchema = CallbackMetricsSchema.partial();

/** A step result as the orchestrator accepts it: the ids come from the URL, the usage may be partial. */
export const ReceivedCallbackSchema = CallbackPayloadSchema.extend({
  run_id: z.string().optional(),
  step_id: z.string().optional(),
  output: jsonObject.nullable().default(null),
  error: z.string().default(""),
  metrics: ReceivedMetricsSchema.default({}),
});

/** A checkpoint as the orchestrator accepts it: the attempt it belongs to is required, the usage optional. */
export const ReceivedCheckpointSchema = CheckpointPayloadSchema.extend({
  attempt: z.number().int(),
  metrics: ReceivedMetricsSchema.optional(),
});
