// The deterministic reply used when nothing is scripted: a JSON object that
// conforms to the output schema the Kimitsu runtime puts in the system prompt,
// so the examples run offline without any scripting.

import type { ParsedRequest } from "./types.ts";
import { closingBrace } from "../../shared/text/braces.ts";
import { isPlainObject } from "../../shared/util/objects.ts";

export const SCHEMA_MARKER = "Your output MUST conform to this JSON schema:";

type Schema = Record<string, unknown>;

interface Ctx {
  root: Schema;
  userText: string;
  depth: number;
}

// Recursive $refs would otherwise loop forever.
const MAX_DEPTH = 12;

export function defaultReplyText(req: ParsedRequest): string {
  const schema = extractSchema(req.system) ?? req.responseSchema;
  if (!schema) return JSON.stringify({ ok: true });
  const ctx: Ctx = { root: schema, userText: oneLine(req.lastUserText), depth: 0 };
  return JSON.stringify(valueFor(schema, "", ctx));
}

/** Parses the JSON schema following the last marker line in the system prompt. */
export function extractSchema(system: string): Schema | undefined {
  const at = system.lastIndexOf(SCHEMA_MARKER);
  if (at < 0) return undefined;
  const rest = system.slice(at + SCHEMA_MARKER.length);
  const start = rest.indexOf("{");
  if (start < 0) return undefined;
  const end = closingBrace(rest, start);
  if (end < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(rest.slice(start, end + 1));
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function valueFor(schema: Schema, name: string, ctx: Ctx): unknown {
  if (ctx.depth > MAX_DEPTH) return null;
  const inner: Ctx = { ...ctx, depth: ctx.depth + 1 };

  if (typeof schema.$ref === "string") {
    const target = resolveRef(ctx.root, schema.$ref);
    return target ? valueFor(target, name, inner) : null;
  }
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && isPlainObject(options[0])) return valueFor(options[0], name, inner);
  }

  switch (typeOf(schema)) {
    case "string":
      return stringFor(schema, name, ctx.userText);
    case "number":
    case "integer":
      return numberFor(schema);
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return arrayFor(schema, name, inner);
    case "object":
      return objectFor(schema, inner);
    default:
      return null;
  }
}

function typeOf(schema: Schema): string | undefined {
  const t = schema.type;
  if (typeof t === "string") return t;
  // ["string", "null"] and similar: prefer the non-null type.
  if (Array.isArray(t)) return t.find((x) => x !== "null") ?? t[0];
  if (isPlainObject(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  return undefined;
}

function objectFor(schema: Schema, ctx: Ctx): Record<string, unknown> {
  const props = isPlainObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(props)) {
    const subSchema = isPlainObject(sub) ? sub : {};
    if (key.startsWith("ktsu_")) {
      // Kimitsu control fields: leave them out unless the schema insists.
      if (required.includes(key)) out[key] = key === "ktsu_confidence" ? 1 : emptyFor(subSchema);
      continue;
    }
    out[key] = valueFor(subSchema, key, ctx);
  }
  return out;
}

function emptyFor(schema: Schema): unknown {
  switch (typeOf(schema)) {
    case "string":
      return "";
    case "number":
    case "integer":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "array":
      return [];
    case "object":
      return {};
    case "null":
      return null;
    default:
      return false;
  }
}

function arrayFor(schema: Schema, name: string, ctx: Ctx): unknown[] {
  const count = typeof schema.minItems === "number" ? schema.minItems : 0;
  const items = isPlainObject(schema.items) ? schema.items : {};
  return Array.from({ length: count }, () => valueFor(items, name, ctx));
}

function numberFor(schema: Schema): number {
  let n = 1;
  if (typeof schema.minimum === "number") n = Math.max(n, schema.minimum);
  if (typeof schema.exclusiveMinimum === "number" && n <= schema.exclusiveMinimum) {
    n = schema.exclusiveMinimum + 1;
  }
  if (typeof schema.maximum === "number") n = Math.min(n, schema.maximum);
  return schema.type === "integer" ? Math.ceil(n) : n;
}

const FORMATS: Record<string, string> = {
  "date-time": "2024-01-01T00:00:00Z",
  date: "2024-01-01",
  email: "user@example.com",
  uri: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
};

function stringFor(schema: Schema, name: string, userText: string): string {
  const format = typeof schema.format === "string" ? FORMATS[schema.format] : undefined;
  if (format) return format;
  let s: string;
  const hello = /hello to (.+)/i.exec(userText);
  if (name === "greeting" && hello?.[1]) {
    s = `Hello, ${hello[1].trim().replace(/[.!?]+$/, "")}!`;
  } else if (name && userText) {
    s = `${name}: ${userText}`;
  } else {
    s = name || userText || "ok";
  }
  if (typeof schema.maxLength === "number") s = s.slice(0, schema.maxLength);
  if (typeof schema.minLength === "number" && s.length < schema.minLength) {
    s = s.padEnd(schema.minLength, ".");
  }
  return s;
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    if (!isPlainObject(node)) return undefined;
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return isPlainObject(node) ? node : undefined;
}

// User messages can be long and multi-line; keep derived strings short sentences.
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}
