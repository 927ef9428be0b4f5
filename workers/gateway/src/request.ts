// Reads and checks an `/invoke` body. Wrong types are the caller's bug and
// answer 400 `invalid_request` naming the field, before anything is spent.

import type { GatewayInvokeRequest, GatewayMessage, GatewayRole, GatewayTool, GatewayToolCall } from "../../../shared/contracts/gateway.ts";
import { GatewayError } from "./errors.ts";
import { errorMessage } from "../../../shared/util/errors.ts";
import { isPlainObject } from "../../../shared/util/objects.ts";

const ROLES: ReadonlySet<string> = new Set<GatewayRole>(["system", "user", "assistant", "tool"]);

function invalid(message: string): GatewayError {
  return new GatewayError("invalid_request", message);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`${field} must be a string`);
  return value;
}

function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(`${field} must be a number`);
  return value;
}

function toolCall(value: unknown, field: string): GatewayToolCall {
  if (!isPlainObject(value)) throw invalid(`${field} must be an object`);
  if (typeof value.id !== "string") throw invalid(`${field}.id must be a string`);
  if (typeof value.name !== "string" || value.name === "") throw invalid(`${field}.name must be a non-empty string`);
  const args = value.arguments ?? {};
  if (!isPlainObject(args)) throw invalid(`${field}.arguments must be an object`);
  return { id: value.id, name: value.name, arguments: args };
}

function message(value: unknown, field: string): GatewayMessage {
  if (!isPlainObject(value)) throw invalid(`${field} must be an object`);
  if (typeof value.role !== "string" || !ROLES.has(value.role)) throw invalid(`${field}.role must be one of system, user, assistant, tool`);
  const out: GatewayMessage = { role: value.role as GatewayRole };
  const content = optionalString(value.content, `${field}.content`);
  if (content !== undefined) out.content = content;
  if (value.tool_calls !== undefined && value.tool_calls !== null) {
    if (!Array.isArray(value.tool_calls)) throw invalid(`${field}.tool_calls must be an array`);
    out.tool_calls = value.tool_calls.map((c, i) => toolCall(c, `${field}.tool_calls[${i}]`));
  }
  const toolCallId = optionalString(value.tool_call_id, `${field}.tool_call_id`);
  if (toolCallId !== undefined) out.tool_call_id = toolCallId;
  if (out.role === "tool" && !out.tool_call_id) throw invalid(`${field}.tool_call_id is required for a tool message`);
  return out;
}

function tool(value: unknown, field: string): GatewayTool {
  if (!isPlainObject(value)) throw invalid(`${field} must be an object`);
  if (typeof value.name !== "string" || value.name === "") throw invalid(`${field}.name must be a non-empty string`);
  const description = optionalString(value.description, `${field}.description`) ?? "";
  const schema = value.input_schema ?? { type: "object" };
  if (!isPlainObject(schema)) throw invalid(`${field}.input_schema must be an object`);
  return { name: value.name, description, input_schema: schema };
}

export function parseInvokeRequest(text: string): GatewayInvokeRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalid(`invalid JSON: ${errorMessage(err)}`);
  }
  if (!isPlainObject(body)) throw invalid("invalid JSON: the body must be an object");

  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid("messages must be a non-empty array");
  const maxTokens = body.max_tokens;
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens <= 0) throw invalid("max_tokens must be a positive integer");

  const req: GatewayInvokeRequest = {
    run_id: optionalString(body.run_id, "run_id") ?? "",
    step_id: optionalString(body.step_id, "step_id") ?? "",
    // A missing group is an empty name, which is an unknown group (as in the original).
    group: optionalString(body.group, "group") ?? "",
    messages: body.messages.map((m, i) => message(m, `messages[${i}]`)),
    max_tokens: maxTokens,
  };
  const temperature = optionalNumber(body.temperature, "temperature");
  if (temperature !== undefined) {
    if (temperature < 0) throw invalid("temperature must not be negative");
    req.temperature = temperature;
  }
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) throw invalid("tools must be an array");
    req.tools = body.tools.map((t, i) => tool(t, `tools[${i}]`));
  }
  const budget = optionalNumber(body.cost_budget_usd, "cost_budget_usd");
  if (budget !== undefined) {
    if (budget < 0) throw invalid("cost_budget_usd must not be negative");
    req.cost_budget_usd = budget;
  }
  const budgetRunId = optionalString(body.budget_run_id, "budget_run_id");
  if (budgetRunId) req.budget_run_id = budgetRunId;
  if ((req.cost_budget_usd ?? 0) > 0 && !(req.budget_run_id || req.run_id)) {
    throw invalid("cost_budget_usd needs run_id or budget_run_id: the budget is counted per run");
  }
  return req;
}
