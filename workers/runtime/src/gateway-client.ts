// The runtime's side of the gateway's `POST /invoke`, reached over the GATEWAY
// binding. Errors are returned, never thrown, worded as the original runtime
// worded them (`gateway call: …`, `decode gateway response: …`), since they end up in step errors.
import type { GatewayInvokeRequest, GatewayInvokeResponse, GatewayMessage, GatewayTool } from "../../../shared/contracts/gateway.ts";
import type { ChatMessage } from "../../../shared/contracts/runtime.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

export type { GatewayTool };

/** The part of a gateway reply the loop uses (normalized: numbers default to 0). */
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
}

function toWire(message: ChatMessage): GatewayMessage {
  const wire: GatewayMessage = { role: message.role };
  if (message.content !== "" || !message.tool_calls?.length) wire.content = message.content;
  if (message.tool_calls?.length) wire.tool_calls = message.tool_calls;
  if (message.tool_call_id !== undefined) wire.tool_call_id = message.tool_call_id;
  return wire;
}

function normalizeReply(value: unknown): GatewayReply {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("response is not a JSON object");
  const body = value as Partial<GatewayReply>;
  const num = (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? n : 0);
  const reply: GatewayReply = {
    content: typeof body.content === "string" ? body.content : "",
    model_resolved: typeof body.model_resolved === "string" ? body.model_resolved : "",
    tokens_in: num(body.tokens_in),
    tokens_out: num(body.tokens_out),
    cost_usd: num(body.cost_usd),
  };
  if (Array.isArray(body.tool_calls) && body.tool_calls.length > 0) {
    reply.tool_calls = body.tool_calls.map((call) => ({
      id: String(call.id ?? ""),
      name: String(call.name ?? ""),
      arguments: typeof call.arguments === "object" && call.arguments !== null ? call.arguments : {},
    }));
  }
  return reply;
}

/** One LLM call. The runtime never sends `temperature`: the model group's `default_temperature` applies. */
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
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (err) {
    return { ok: false, error: `gateway call: ${errorMessage(err)}` };
  }
  const text = await res.text();
  if (res.status !== 200) {
    try {
      const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
      if (typeof parsed.error === "string" && parsed.error !== "") {
        return { ok: false, error: `gateway error ${parsed.error}: ${typeof parsed.message === "string" ? parsed.message : ""}` };
      }
    } catch {
      // not a typed gateway error; fall through to the status
    }
    return { ok: false, error: `gateway returned ${res.status}` };
  }
  try {
    return { ok: true, reply: normalizeReply(JSON.parse(text)) };
  } catch (err) {
    return { ok: false, error: `decode gateway response: ${errorMessage(err)}` };
  }
}
