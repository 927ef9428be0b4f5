// A fast path for zod at the Workers' internal boundaries. zod 4 compiles object parsers
// with `new Function`, which workerd forbids, so every payload went through its generic
// interpreter (a noticeable share of each fanout item's CPU). This walks a schema's
// definition once and builds plain closures that accept the common case: a JSON payload
// that is valid. They build the same output zod would (unknown keys stripped, defaults
// and transforms applied, keys in the schema's order) and run the schema's own checks
// and transforms. Anything they are not sure of (a wrong type, a missing field, an
// unusual construct) answers FALLBACK, and the caller runs zod itself, which then gives
// the answer and its error message: the fast path never refuses anything.
import type { z } from "zod";

/** "Ask zod": the fast path cannot vouch for this value. */
export const FALLBACK: unique symbol = Symbol("fallback");

type Fast = (value: unknown) => unknown;

/** What the closures read of zod's internals (zod 4's `_zod` property). */
interface Internals {
  def: { type: string; checks?: Check[]; coerce?: boolean; [key: string]: unknown };
  optin?: "optional" | "defaulted";
  optout?: "optional";
  values?: Set<unknown>;
  run(payload: Payload, ctx: { async: false }): Payload | Promise<Payload>;
}
interface Check {
  _zod: { def: { when?: (payload: Payload) => boolean }; check(payload: Payload): unknown };
}
interface Payload {
  value: unknown;
  issues: unknown[];
}

const internals = (schema: unknown): Internals => (schema as { _zod: Internals })._zod;
const never: Fast = () => FALLBACK;
const cache = new WeakMap<object, Fast>();

/** The fast parser of a schema (built once per schema): its output, or FALLBACK. */
export function fastParser(schema: z.ZodType): Fast {
  let fast = cache.get(schema);
  if (!fast) {
    fast = compile(schema);
    cache.set(schema, fast);
  }
  return fast;
}

function compile(schema: unknown): Fast {
  const zod = internals(schema);
  const checks = zod.def.checks ?? [];
  if (zod.def.coerce) return never;
  const base = compileType(zod);
  return checks.length === 0 ? base : withChecks(base, checks);
}

/** The schema's own checks (refinements, bounds, formats) on the parsed value, as zod runs them. */
function withChecks(base: Fast, checks: Check[]): Fast {
  return (value) => {
    const parsed = base(value);
    if (parsed === FALLBACK) return FALLBACK;
    const payload: Payload = { value: parsed, issues: [] };
    for (const check of checks) {
      const when = check._zod.def.when;
      if (when && !when(payload)) continue;
      if (check._zod.check(payload) instanceof Promise || payload.issues.length > 0) return FALLBACK;
    }
    return payload.value;
  };
}

function compileType(zod: Internals): Fast {
  const def = zod.def;
  switch (def.type) {
    case "string":
      return (value) => (typeof value === "string" ? value : FALLBACK);
    case "number":
      return (value) => (typeof value === "number" && Number.isFinite(value) ? value : FALLBACK);
    case "boolean":
      return (value) => (typeof value === "boolean" ? value : FALLBACK);
    case "null":
      return (value) => (value === null ? null : FALLBACK);
    case "unknown":
    case "any":
      return (value) => (value === undefined ? FALLBACK : value);
    case "enum":
    case "literal": {
      const values = zod.values;
      return values ? (value) => (values.has(value) ? value : FALLBACK) : never;
    }
    case "array":
      return arrayParser(compile(def.element));
    case "object":
      return def.catchall ? never : objectParser(def.shape as Record<string, unknown>);
    case "record":
      return recordParser(def.keyType, def.valueType);
    case "optional": {
      const inner = compile(def.innerType);
      const innerDefaulted = internals(def.innerType).optin === "defaulted";
      return (value) => (value === undefined ? (innerDefaulted ? FALLBACK : undefined) : inner(value));
    }
    case "nullable": {
      const inner = compile(def.innerType);
      return (value) => (value === null ? null : inner(value));
    }
    case "default": {
      const inner = compile(def.innerType);
      // `defaultValue` is a getter that hands out a fresh copy each time, as zod uses it.
      return (value) => {
        if (value === undefined) return def.defaultValue;
        const parsed = inner(value);
        return parsed === undefined ? def.defaultValue : parsed;
      };
    }
    case "pipe": {
      const first = compile(def.in);
      const second = compile(def.out);
      return (value) => {
        const parsed = first(value);
        return parsed === FALLBACK ? FALLBACK : second(parsed);
      };
    }
    case "transform":
      // The transform itself, run by zod (it may report issues through its context).
      return (value) => {
        const result = zod.run({ value, issues: [] }, { async: false });
        return result instanceof Promise || result.issues.length > 0 ? FALLBACK : result.value;
      };
    default:
      return never;
  }
}

function arrayParser(element: Fast): Fast {
  return (value) => {
    if (!Array.isArray(value)) return FALLBACK;
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const parsed = element(value[i]);
      if (parsed === FALLBACK) return FALLBACK;
      out[i] = parsed;
    }
    return out;
  };
}

/** zod's object: the shape's keys in order, unknown keys left out, absent keys as its property rules say. */
function objectParser(shape: Record<string, unknown>): Fast {
  const keys = Object.keys(shape);
  if (keys.includes("__proto__")) return never;
  const fields = keys.map((key) => {
    const zod = internals(shape[key]);
    return { key, parse: compile(shape[key]), optin: zod.optin, optout: zod.optout };
  });
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return FALLBACK;
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const { key, parse, optin, optout } of fields) {
      if (key in input) {
        const given = input[key];
        if (given === undefined) return FALLBACK;
        const parsed = parse(given);
        if (parsed === FALLBACK) return FALLBACK;
        out[key] = parsed;
        continue;
      }
      if (optin === "optional" && optout === "optional") continue;
      if (optin === undefined) return FALLBACK; // a required field is missing: zod names it
      const parsed = parse(undefined);
      if (parsed === FALLBACK) return FALLBACK;
      if (parsed !== undefined || (optin === "defaulted" && optout !== "optional")) out[key] = parsed;
    }
    return out;
  };
}

/** zod's record with plain string keys: every own enumerable key, each value parsed. */
function recordParser(keyType: unknown, valueType: unknown): Fast {
  const key = internals(keyType);
  if (key.def.type !== "string" || (key.def.checks ?? []).length > 0) return never;
  const parseValue = compile(valueType);
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return FALLBACK;
    const prototype = Object.getPrototypeOf(value);
    if ((prototype !== Object.prototype && prototype !== null) || Object.getOwnPropertySymbols(value).length > 0) return FALLBACK;
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(value)) {
      if (name === "__proto__") return FALLBACK;
      const parsed = parseValue((value as Record<string, unknown>)[name]);
      if (parsed === FALLBACK) return FALLBACK;
      out[name] = parsed;
    }
    return out;
  };
}
