// The runtime's side of the gateway's `POST /invoke`, reached over the GATEWAY binding.
// Errors are returned, never thrown, with the original's texts; a reply is checked against
// the contract (shared/contracts/schemas/gateway.ts) before the loop reads it.
import type { GatewayInvokeRequest, GatewayInvokeResponse, GatewayMessage, GatewayTool } from "../../../shared/contracts/gateway.ts";
import type { ChatMessage } from "../../../shared/contracts/runtime.ts";
import { GatewayErrorReplySchema, GatewayInvokeResponseSchema } from "../../../shared/contracts/schemas/gateway.ts";
import { parseWith } from "../../../shared/contracts/schemas/parse.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

export type { GatewayTool };

/** The part of a gateway reply the loop uses (checked against the contract). */
export type GatewayReply = Pick<GatewayInvokeResponse, "content" | "model_resolved" | "tokens_in" | "tokens_out" | "cost_usd" | "tool_calls">;

export type GatewayResult = { ok: true; reply: GatewayReply } | { ok: false; error: string };

/** Everything of a call that stays the same for a whole step. */
export interface GatewayContext {
  run_id: string;
  step_id: string;
  group: string;
  max_tokens: number;
  cost_budget_usd?: number;
  budget_run_id?: string;
  /** W3C trace context of the step, sent on as the `traceparent` header. */
  traceparent?: string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toWire(message: ChatMessage): GatewayMessage {
  const wire: GatewayMessage = { role: message.role };
  if (message.content !== "" || !message.tool_calls?.length) wire.content = message.content;
  if (message.tool_calls?.length) wire.tool_calls = message.tool_calls;
  if (message.tool_call_id !== undefined) wire.tool_call_id = message.tool_call_id;
  return wire;
}

/** One LLM call. The runtime never sends `temperature` (the group's default applies). */
export async function callGateway(
  gateway: Fetcher,
  context: GatewayContext,
  messages: ChatMessage[],
  tools: GatewayTool[] | undefined,
): Promise<GatewayResult> {
  const body: GatewayInvokeRequest = {
    run_id: context.run_id,
    step_id: context.step_id,
    group: context.group,
    messages: messages.map(toWire),
    max_tokens: context.max_tokens,
  };
  if (tools && tools.length > 0) body.tools = tools;
  if (context.cost_budget_usd !== undefined && context.cost_budget_usd > 0) body.cost_budget_usd = context.cost_budget_usd;
  if (context.budget_run_id) body.budget_run_id = context.budget_run_id;

  let res: Response;
  try {
    res = await gateway.fetch("https://gateway/invoke", {
      method: "POST",
      headers: { "content-type": "application/json", ...(context.traceparent ? { traceparent: context.traceparent } : {}) },
      body: JSON.stringify(body),
    });
  } catch (err) {
    return { ok: false, error: `gateway call: ${errorMessage(err)}` };
  }
  const text = await res.text();
  if (res.status !== 200) {
    const typed = GatewayErrorReplySchema.safeParse(parseJson(text));
    // Anything else is not a typed gateway error: the status says it.
    return { ok: false, error: typed.success ? `gateway error ${typed.data.error}: ${typed.data.message ?? ""}` : `gateway returned ${res.status}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `decode gateway response: ${errorMessage(err)}` };
  }
  const reply = parseWith(GatewayInvokeResponseSchema, value);
  return reply.ok ? { ok: true, reply: reply.value } : { ok: false, error: `decode gateway response: ${reply.message}` };
}
