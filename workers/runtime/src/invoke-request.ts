import type { InvokeRequest } from "../../../shared/contracts/runtime.ts";
import { isPlainObject } from "../../../shared/util/objects.ts";

/** A 400 answer's body (the original sent it as plain text, like Go's `http.Error`). */
export interface InvalidRequest {
  error: "invalid_request";
  message: string;
}

/** `request` is normalized for the loop; `received` is the body as sent (for `original_request`). */
export type ParsedInvoke = { ok: true; request: InvokeRequest; received: InvokeRequest } | { ok: false; body: InvalidRequest };

const invalid = (message: string): ParsedInvoke => ({ ok: false, body: { error: "invalid_request", message } });

/**
 * Reads `POST /invoke`'s body. Only what the original refused is refused (bad JSON, missing
 * ids or callback); other fields are normalized so the loop never meets an absent list.
 */
export function parseInvokeRequest(text: string): ParsedInvoke {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid("invalid JSON");
  }
  if (!isPlainObject(value)) return invalid("invalid JSON");
  const present = (key: string) => typeof value[key] === "string" && value[key] !== "";
  if (!present("run_id") || !present("step_id") || !present("callback_url")) {
    return invalid("run_id, step_id, and callback_url are required");
  }
  const request = value as unknown as InvokeRequest;
  const model = isPlainObject(request.model) ? request.model : { group: "", max_tokens: 0 };
  return {
    ok: true,
    received: request,
    request: {
      ...request,
      agent_name: typeof request.agent_name === "string" ? request.agent_name : "",
      system: typeof request.system === "string" ? request.system : "",
      user_message: typeof request.user_message === "string" ? request.user_message : "",
      max_turns: Number.isInteger(request.max_turns) && request.max_turns > 0 ? request.max_turns : 10,
      model: {
        group: typeof model.group === "string" ? model.group : "",
        max_tokens: Number.isInteger(model.max_tokens) && model.max_tokens > 0 ? model.max_tokens : 1024,
      },
      tool_servers: Array.isArray(request.tool_servers) ? (request.tool_servers.filter(isPlainObject) as InvokeRequest["tool_servers"]) : [],
      output_schema: isPlainObject(request.output_schema) ? request.output_schema : undefined,
      approved_tool_calls: Array.isArray(request.approved_tool_calls)
        ? request.approved_tool_calls.filter((id): id is string => typeof id === "string")
        : undefined,
    },
  };
}
