// The fast path of parseWith must never accept what zod refuses, and must give exactly
// zod's output (same values, same keys in the same order) when it accepts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { FALLBACK, fastParser } from "../../shared/contracts/schemas/fast-parse.ts";
import { GatewayInvokeRequestSchema, GatewayInvokeResponseSchema } from "../../shared/contracts/schemas/gateway.ts";
import { StepMetricsSchema } from "../../shared/contracts/schemas/metrics.ts";
import {
  CallbackPayloadSchema,
  HeartbeatPayloadSchema,
  InvokeRequestSchema,
  ReceivedCallbackSchema,
  ReceivedCheckpointSchema,
  ReceivedInvokeRequestSchema,
} from "../../shared/contracts/schemas/runtime.ts";

const metrics = { duration_ms: 12.5, tokens_in: 10, tokens_out: 3, cost_usd: 0.0001, llm_calls: 1, tool_calls: 0, model_resolved: "fake/m" };
const invoke = {
  run_id: "run_1",
  step_id: "each.3",
  agent_name: "worker",
  system: "You process one item.",
  user_message: "Item 3",
  max_turns: 10,
  model: { group: "default", max_tokens: 1024 },
  tool_servers: [{ name: "kv", url: "ktsu://tools/kv", allowlist: ["*"], params: { a: "b" }, approval_rules: [] }],
  callback_url: "/runs/run_1/steps/each.3/complete",
  output_schema: { type: "object", required: ["ok"] },
  cost_budget_usd: 0,
  budget_run_id: "run_1",
  attempt: 1,
  messages: [{ role: "assistant", content: "", tool_calls: [{ id: "c1", name: "kv_get", arguments: { key: "k" } }] }],
};
const callback = { run_id: "run_1", step_id: "each.3", status: "ok", output: { ok: true }, error: "", metrics, attempt: 1 };
const gatewayRequest = {
  run_id: "run_1",
  step_id: "each.3",
  group: "default",
  messages: [
    { role: "system", content: "s" },
    { role: "assistant", content: null, tool_calls: [{ id: "c", name: "t", arguments: null }] },
    { role: "tool", content: "r", tool_call_id: "c" },
  ],
  max_tokens: 1024,
  temperature: 0.2,
  tools: [{ name: "t", description: null, input_schema: { type: "object" } }],
  cost_budget_usd: 0,
};
const gatewayReply = {
  content: "{}",
  model_resolved: "fake/m",
  tokens_in: 5,
  tokens_out: 2,
  cost_usd: 0.1,
  tool_calls: [{ id: "c", name: "t", arguments: {} }],
};

const cases: Array<[string, z.ZodType, Record<string, unknown>]> = [
  ["invoke request", InvokeRequestSchema, invoke],
  ["received invoke request", ReceivedInvokeRequestSchema, invoke],
  ["callback", CallbackPayloadSchema, callback],
  ["received callback", ReceivedCallbackSchema, callback],
  ["received checkpoint", ReceivedCheckpointSchema, { attempt: 1, turn: 2, messages: invoke.messages, metrics }],
  ["heartbeat", HeartbeatPayloadSchema, { runtime_id: "rt", active: [{ run_id: "r", step_id: "s" }] }],
  ["metrics", StepMetricsSchema, metrics],
  ["gateway request", GatewayInvokeRequestSchema, gatewayRequest],
  ["gateway reply", GatewayInvokeResponseSchema, gatewayReply],
];

/** Same result as zod whenever the fast path answers; returns whether it did. */
function agreesWithZod(schema: z.ZodType, value: unknown): boolean {
  const fast = fastParser(schema)(value);
  if (fast === FALLBACK) return false;
  const zod = schema.safeParse(value);
  expect(zod.success).toBe(true);
  expect(fast).toStrictEqual(zod.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data)); // keys in the same order
  return true;
}

/** A payload with one thing changed somewhere: a field removed, replaced, or added. */
function mutated(base: unknown): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.constant("ok"), fc.constant([]), fc.constant({}));
  const paths: Array<Array<string | number>> = [];
  const walk = (value: unknown, path: Array<string | number>) => {
    paths.push(path);
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, i]);
    } else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(base, []);
  return fc.tuple(fc.constantFrom(...paths), fc.constantFrom("remove", "replace", "add"), leaf, fc.string()).map(([path, how, value, name]) => {
    const copy = structuredClone(base) as Record<string | number, unknown>;
    if (path.length === 0) return how === "replace" ? value : copy;
    let parent = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    if (how === "remove") delete parent[last];
    else if (how === "replace") parent[last] = value;
    else if (typeof parent[last] === "object" && parent[last] !== null && !Array.isArray(parent[last])) (parent[last] as Record<string, unknown>)[name] = value;
    return copy;
  });
}

describe("parseWith's fast path agrees with zod", () => {
  for (const [name, schema, valid] of cases) {
    it(`${name}: accepts the valid payload with zod's output`, () => {
      expect(agreesWithZod(schema, valid)).toBe(true);
    });

    it(`${name}: on any one change, answers as zod does or leaves it to zod`, () => {
      fc.assert(
        fc.property(mutated(valid), (value) => {
          agreesWithZod(schema, value);
        }),
        { numRuns: 400 },
      );
    });
  }

  it("leaves non-JSON values to zod", () => {
    expect(fastParser(HeartbeatPayloadSchema)({ runtime_id: "rt", active: [{ run_id: "r", step_id: undefined }] })).toBe(FALLBACK);
    expect(fastParser(ReceivedCallbackSchema)({ status: "ok", output: { [Symbol("s")]: 1 } })).toBe(FALLBACK);
    expect(fastParser(StepMetricsSchema)({ ...metrics, tokens_in: Number.POSITIVE_INFINITY })).toBe(FALLBACK);
  });
});
