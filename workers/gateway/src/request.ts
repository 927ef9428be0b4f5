// Reads and checks an `/invoke` body against its contract (shared/contracts/schemas/gateway.ts).
// Wrong types are the caller's bug and answer 400 `invalid_request` naming the field, before
// anything is spent.

import type { GatewayInvokeRequest } from "../../../shared/contracts/gateway.ts";
import { GatewayInvokeRequestSchema } from "../../../shared/contracts/schemas/gateway.ts";
import { parseWith } from "../../../shared/contracts/schemas/parse.ts";
import { GatewayError } from "./errors.ts";
import { errorMessage } from "../../../shared/util/errors.ts";
import { isPlainObject } from "../../../shared/util/objects.ts";

function invalid(message: string): GatewayError {
  return new GatewayError("invalid_request", message);
}

export function parseInvokeRequest(text: string): GatewayInvokeRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalid(`invalid JSON: ${errorMessage(err)}`);
  }
  if (!isPlainObject(body)) throw invalid("invalid JSON: the body must be an object");
  const parsed = parseWith(GatewayInvokeRequestSchema, body);
  if (!parsed.ok) throw invalid(`${parsed.field} ${parsed.issue}`);
  const request: GatewayInvokeRequest = parsed.value;
  return request;
}
