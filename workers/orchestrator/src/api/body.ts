import type { Context } from "hono";
import type { RouteConfig } from "@hono/zod-openapi";
import { errorMessage } from "../../../../shared/util/errors.ts";

/** Largest accepted request body (invoke payloads, callbacks). */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

/**
 * Reads a JSON body with a size cap. An empty body is `{}` (the original's
 * default); malformed JSON is a 400; more than MAX_BODY_BYTES is a 413.
 */
export async function readJsonBody(c: Context, maxBytes = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(c.req.header("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Read (and drop) the body before answering: a client still sending would otherwise see a broken pipe, not the 413.
    await drain(c.req.raw.body);
    return { ok: false, status: 413, message: `request body exceeds ${maxBytes} bytes` };
  }
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > maxBytes) return { ok: false, status: 413, message: `request body exceeds ${maxBytes} bytes` };
  const text = new TextDecoder().decode(buffer).trim();
  if (text === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, status: 400, message: `malformed JSON body: ${errorMessage(err)}` };
  }
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  while (!(await reader.read()).done) {
    // discard
  }
}

/**
 * A declared route as the app registers it: without its body schema, because the handler reads
 * the body with readJsonBody (the size cap, the malformed-JSON 400 text, an empty body as `{}`,
 * no content type needed) and checks it with that same schema. The zod-openapi JSON validator
 * would answer 415 to a body sent without a JSON content type, and 400s of its own wording.
 * The document still shows the body (it is generated from the declaration, spec.ts).
 */
export function bodyReadByHandler<R extends RouteConfig>(route: R) {
  const { body: _documented, ...request } = route.request ?? {};
  return { ...route, request };
}
