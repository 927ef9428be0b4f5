import { parseWith } from "../../../shared/contracts/schemas/parse.ts";
import { ReceivedInvokeRequestSchema } from "../../../shared/contracts/schemas/runtime.ts";
import type { InvokeRequest } from "../../../shared/contracts/runtime.ts";
import { isPlainObject } from "../../../shared/util/objects.ts";

/** A 400 answer's body (sent as text, like Go's `http.Error` in the original). */
export interface InvalidRequest {
  error: "invalid_request";
  message: string;
  field?: string;
}

/** `request` is normalized for the loop; `received` is the body as validated, before the limits fall back (for `original_request`). */
export type ParsedInvoke = { ok: true; request: InvokeRequest; received: InvokeRequest } | { ok: false; body: InvalidRequest };

const invalid = (message: string, field?: string): ParsedInvoke => ({ ok: false, body: { error: "invalid_request", message, ...(field ? { field } : {}) } });

/**
 * Reads `POST /invoke`'s body: bad JSON and missing ids or callback are refused with the
 * original's texts; then the body is checked against the contract (a field of the wrong type
 * is refused, naming it), absent fields take the loop's defaults, and out-of-range limits
 * fall back to them (`max_turns` 10, `max_tokens` 1024).
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
  const parsed = parseWith(ReceivedInvokeRequestSchema, value);
  if (!parsed.ok) return invalid(`invalid request: ${parsed.message}`, parsed.field);
  const { output_schema, ...rest } = parsed.value;
  return { ok: true, ...acceptedStep(output_schema ? { ...rest, output_schema } : rest) };
}

/**
 * The step the loop runs from a request that matches the contract (parsed above, or an RPC
 * dispatch typed by it): out-of-range limits fall back to the loop's defaults in `request`;
 * `received` is the request as it came. When nothing falls back, both are the same object.
 */
export function acceptedStep(value: InvokeRequest): { request: InvokeRequest; received: InvokeRequest } {
  const maxTurnsOk = Number.isInteger(value.max_turns) && value.max_turns > 0;
  const maxTokensOk = Number.isInteger(value.model.max_tokens) && value.model.max_tokens > 0;
  const received = value;
  if (maxTurnsOk && maxTokensOk) return { request: received, received };
  const request: InvokeRequest = {
    ...received,
    max_turns: maxTurnsOk ? value.max_turns : 10,
    model: { group: value.model.group, max_tokens: maxTokensOk ? value.model.max_tokens : 1024 },
  };
  return { request, received };
}
