import { describe, expect, it } from "vitest";
import { evaluate, evaluateCondition, type JsonObject } from "../../../shared/expr/index.ts";
import { buildEnvContext, buildExprContext, buildFanoutItemContext } from "../../../workers/orchestrator/src/engine/expression-context.ts";
import { fatalReservedFieldError, processReservedFields, stripReservedFields } from "../../../workers/orchestrator/src/engine/reserved-fields.ts";

describe("expression context", () => {
  const stepOutputs = new Map<string, JsonObject>([
    ["search", { results: [1, 2] }],
    ["greet", { skipped: true, reason: "condition_false" }],
    ["step", { shadowed: true }],
    ["params", { shadowed: true }],
    ["env", { shadowed: true }],
    ["item", { shadowed: true }],
  ]);

  it("exposes outputs flat and under step.<id>", () => {
    const ctx = buildExprContext({ stepOutputs, params: { q: "x" }, env: { TOKEN: "t" } });
    expect(evaluate("search.results", ctx)).toEqual([1, 2]);
    expect(evaluate("step.search.results", ctx)).toEqual([1, 2]);
    expect(evaluate("step.greet.reason", ctx)).toBe("condition_false");
    expect(evaluateCondition("step.greet.greeting != null", ctx).truthy).toBe(false);
  });

  it("step, params and env win over flat ids of the same name", () => {
    const ctx = buildExprContext({ stepOutputs, params: { q: "x" }, env: { TOKEN: "t" } });
    expect(evaluate("params", ctx)).toEqual({ q: "x" });
    expect(evaluate("env.TOKEN", ctx)).toBe("t");
    expect(evaluate("step.search.results", ctx)).toEqual([1, 2]);
    expect(evaluate("step.step.shadowed", ctx)).toBe(true); // still reachable under step.
    expect(evaluate("step.params.shadowed", ctx)).toBe(true);
  });

  it("omits env for sub-workflows and params when there is no params map", () => {
    const ctx = buildExprContext({ stepOutputs: { a: { v: 1 } } });
    expect(Object.keys(ctx).sort()).toEqual(["a", "step"]);
    expect(evaluate("env.X", ctx)).toBeNull();
    expect(evaluate("a.v", ctx)).toBe(1);
    expect(evaluate("toString", ctx)).toBeNull();
  });

  it("fanout items add item and item_index", () => {
    const ctx = buildFanoutItemContext({ stepOutputs, params: {} }, { url: "u" }, 3);
    expect(evaluate("item.url", ctx)).toBe("u");
    expect(evaluate("item_index", ctx)).toBe(3);
    expect(evaluate("step.item.shadowed", ctx)).toBe(true);
    expect(evaluate("search.results[0]", ctx)).toBe(1);
  });

  it("env: process value, else declared default when unset, else empty", () => {
    const values: Record<string, string> = { SET: "v", EMPTY: "" };
    const env = buildEnvContext(
      [{ name: "SET", default: "d" }, { name: "EMPTY", default: "d" }, { name: "UNSET", default: "d" }, { name: "NONE" }],
      (name) => values[name],
    );
    expect(env).toEqual({ SET: "v", EMPTY: "", UNSET: "d", NONE: "" });
  });
});

describe("reserved ktsu_ fields", () => {
  it.each([
    ["ktsu_injection_attempt", "injection attempt detected"],
    ["ktsu_untrusted_content", "untrusted content detected"],
    ["ktsu_low_quality", "low quality output"],
    ["ktsu_needs_human", "needs_human_review"],
  ])("%s: true fails with %s", (field, error) => {
    expect(processReservedFields({ [field]: true, x: 1 }, 0)).toEqual({ kind: "fail", error });
  });

  it("checks in the fixed order", () => {
    const all = {
      ktsu_needs_human: true,
      ktsu_low_quality: true,
      ktsu_untrusted_content: true,
      ktsu_injection_attempt: true,
      ktsu_skip_reason: "x",
    };
    expect(processReservedFields(all, 0)).toEqual({ kind: "fail", error: "injection attempt detected" });
    const { ktsu_injection_attempt: _1, ...rest } = all;
    expect(processReservedFields(rest, 0)).toEqual({ kind: "fail", error: "untrusted content detected" });
    expect(processReservedFields({ ktsu_needs_human: true, ktsu_low_quality: true }, 0)).toEqual({
      kind: "fail",
      error: "low quality output",
    });
    // Confidence is checked before the skip reason.
    expect(processReservedFields({ ktsu_confidence: 0.1, ktsu_skip_reason: "s" }, 0.5)).toEqual({
      kind: "fail",
      error: "confidence below threshold",
    });
  });

  it("only boolean true triggers a flag", () => {
    for (const value of [false, "true", 1, null, {}]) {
      expect(processReservedFields({ ktsu_injection_attempt: value, a: 1 }, 0)).toEqual({ kind: "ok", output: { a: 1 } });
    }
  });

  it("confidence: equal passes, below fails, missing or non-number counts as 0, threshold 0 disables", () => {
    expect(processReservedFields({ ktsu_confidence: 0.8 }, 0.8)).toEqual({ kind: "ok", output: {} });
    expect(processReservedFields({ ktsu_confidence: 0.79 }, 0.8)).toEqual({ kind: "fail", error: "confidence below threshold" });
    expect(processReservedFields({}, 0.1)).toEqual({ kind: "fail", error: "confidence below threshold" });
    expect(processReservedFields({ ktsu_confidence: "0.9" }, 0.1)).toEqual({ kind: "fail", error: "confidence below threshold" });
    expect(processReservedFields({ ktsu_confidence: 0 }, 0)).toEqual({ kind: "ok", output: {} });
    expect(processReservedFields({ ktsu_confidence: 0.2 }, -1)).toEqual({ kind: "ok", output: {} });
  });

  it("a non-empty string skip reason skips with the cleaned output", () => {
    expect(processReservedFields({ ktsu_skip_reason: "nothing to do", a: 1, ktsu_flags: ["f"] }, 0)).toEqual({
      kind: "skip",
      output: { a: 1 },
      reason: "nothing to do",
    });
    expect(processReservedFields({ ktsu_skip_reason: "", a: 1 }, 0)).toEqual({ kind: "ok", output: { a: 1 } });
    expect(processReservedFields({ ktsu_skip_reason: true, a: 1 }, 0)).toEqual({ kind: "ok", output: { a: 1 } });
  });

  it("strips every ktsu_ key, unknown ones included, without touching the input", () => {
    const raw = { a: 1, ktsu_flags: ["x"], ktsu_rationale: "r", ktsu_future_field: 2, ktsu_confidence: 0.9, ktsu: 3, nested: { ktsu_x: 1 } };
    expect(processReservedFields(raw, 0.5)).toEqual({ kind: "ok", output: { a: 1, ktsu: 3, nested: { ktsu_x: 1 } } });
    expect(raw.ktsu_future_field).toBe(2);
    expect(stripReservedFields(null)).toEqual({});
    const proto = stripReservedFields(JSON.parse('{"__proto__": {"x": 1}, "ktsu_a": 1}'));
    expect(Object.keys(proto)).toEqual(["__proto__"]);
    expect((proto as { x?: unknown }).x).toBeUndefined();
    expect(processReservedFields(null, 0)).toEqual({ kind: "ok", output: {} });
  });

  it("pre-reflect check: true or non-boolean flags are fatal", () => {
    expect(fatalReservedFieldError({ ktsu_injection_attempt: true })).toBe("injection attempt detected");
    expect(fatalReservedFieldError({ ktsu_untrusted_content: "yes" })).toBe("untrusted content detected");
    expect(fatalReservedFieldError({ ktsu_low_quality: 1 })).toBe("low quality output");
    expect(fatalReservedFieldError({ ktsu_needs_human: null })).toBe("needs_human_review");
    expect(fatalReservedFieldError({ ktsu_injection_attempt: false, ktsu_needs_human: false, result: "ok" })).toBeNull();
    expect(fatalReservedFieldError({ category: "billing", ktsu_confidence: "x" })).toBeNull();
    expect(fatalReservedFieldError({ ktsu_low_quality: "x", ktsu_injection_attempt: "y" })).toBe("injection attempt detected");
  });
});
