import type { Context } from "hono";
import type { RouteConfig } from "@hono/zod-openapi";
import { fieldOf } from "../../../../shared/contracts/schemas/parse.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import { isPlainObject } from "../../../../shared/util/objects.ts";

/** Largest accepted request body (invoke payloads, callbacks). */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string; field?: string };

/**
 * Reads a JSON body with a size cap. An empty body is `{}` (the original's
 * default); malformed JSON is a 400; more than MAX_BODY_BYTES is a 413. Input
 * that JSON.parse would quietly change is refused with a 400 too: bytes that are
 * not UTF-8 (they would become U+FFFD) and numbers beyond a double's range (they
 * would become Infinity, which is stored as null).
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
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(buffer).trim();
  } catch {
    return { ok: false, status: 400, message: "request body is not valid UTF-8" };
  }
  if (text === "") return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, status: 400, message: `malformed JSON body: ${errorMessage(err)}` };
  }
  const field = mayHoldInfinity(text) ? nonFiniteNumberAt(value) : null;
  if (field === null) return { ok: true, value };
  return {
    ok: false,
    status: 400,
    message: field === "" ? "the body is a number out of range" : `field "${field}": number out of range`,
    ...(field === "" ? {} : { field }),
  };
}

/**
 * Whether JSON.parse could have turned a number of `text` into Infinity: only a number with an
 * exponent or with more than 308 integer digits can exceed a double's range. Most bodies have
 * neither, and are not walked (a match, in a string too, only means the walk is done).
 */
function mayHoldInfinity(text: string): boolean {
  return /\d[eE]|\d{309}/.test(text);
}

/** A value met while walking a body, with the way back to the root (a path is only built for the one at fault). */
interface Visit {
  value: unknown;
  key: PropertyKey | null;
  parent: Visit | null;
}

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let at: Visit | null = visit; at && at.key !== null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * The path (as fieldOf writes it) of the first number JSON.parse turned into Infinity, or
 * null when there is none. Iterative and linear: a deeply nested body must not overflow the
 * stack nor take quadratic time.
 */
export function nonFiniteNumberAt(value: unknown): string | null {
  const pending: Visit[] = [{ value, key: null, parent: null }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    const item = visit.value;
    if (typeof item === "number" && !Number.isFinite(item)) return fieldOf(pathOf(visit));
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) pending.push({ value: item[i], key: i, parent: visit });
    } else if (isPlainObject(item)) {
      for (const [key, child] of Object.entries(item).reverse()) pending.push({ value: child, key, parent: visit });
    }
  }
  return null;
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
