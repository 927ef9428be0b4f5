import { describe, expect, it } from "vitest";
import {
  aggregateFanout,
  fanoutConcurrency,
  fanoutFailure,
  fanoutResults,
  selectFanoutItems,
  type FanoutItemOutcome,
} from "../../../workers/orchestrator/src/engine/fanout-result.ts";
import { addMetrics, normalizeMetrics, sumCostUsd, sumMetrics, zeroMetrics } from "../../../workers/orchestrator/src/engine/metrics.ts";

describe("metrics", () => {
  it("zero metrics and normalization", () => {
    expect(zeroMetrics()).toEqual({ duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 });
    expect(normalizeMetrics({ tokens_in: 3, reflected: false, reflect_calls: 0 })).toEqual({ ...zeroMetrics(), tokens_in: 3 });
    expect(normalizeMetrics(null)).toEqual(zeroMetrics());
  });

  it("sums without float drift", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumCostUsd([0.1, 0.2])).toBe(0.3);
    expect(sumCostUsd(Array.from({ length: 10 }, () => 0.000123))).toBe(0.00123);
  });

  it("sums everything except duration by default; reflected if any", () => {
    const total = sumMetrics([
      { duration_ms: 100, tokens_in: 10, tokens_out: 5, cost_usd: 0.1, llm_calls: 1, tool_calls: 2 },
      { duration_ms: 200, tokens_in: 1, tokens_out: 1, cost_usd: 0.2, llm_calls: 2, tool_calls: 0, reflected: true, reflect_calls: 1 },
      { duration_ms: 300, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0, reflect_calls: 2 },
    ]);
    expect(total).toEqual({ duration_ms: 0, tokens_in: 11, tokens_out: 6, cost_usd: 0.3, llm_calls: 3, tool_calls: 2, reflected: true, reflect_calls: 3 });
    expect(sumMetrics([{ duration_ms: 5 }, { duration_ms: 7 }], { includeDuration: true }).duration_ms).toBe(12);
    expect(sumMetrics([{ tokens_in: 1 }])).not.toHaveProperty("reflected");
    expect(addMetrics({ duration_ms: 1, llm_calls: 1 }, { duration_ms: 2, llm_calls: 1 })).toMatchObject({ duration_ms: 3, llm_calls: 2 });
  });

  it("keeps the models that answered: normalized, the later leg's model for a step, the distinct ones for a sum", () => {
    expect(normalizeMetrics({ tokens_in: 1, model_resolved: "fake/a" })).toEqual({ ...zeroMetrics(), tokens_in: 1, model_resolved: "fake/a" });
    // A one-model list says no more than `model_resolved`.
    expect(normalizeMetrics({ model_resolved: "fake/a", models_resolved: ["fake/a"] })).toEqual({ ...zeroMetrics(), model_resolved: "fake/a" });
    // The legs of one step (before and after an approval): the later leg answered last.
    expect(addMetrics({ llm_calls: 1, model_resolved: "claude/x" }, { llm_calls: 1, model_resolved: "fake/y" })).toMatchObject({
      llm_calls: 2,
      model_resolved: "fake/y",
      models_resolved: ["claude/x", "fake/y"],
    });
    expect(addMetrics({ model_resolved: "fake/a" }, { llm_calls: 0 })).toMatchObject({ model_resolved: "fake/a" });
    // Parts side by side: one model only when all agree.
    expect(sumMetrics([{ model_resolved: "fake/a" }, { model_resolved: "fake/a" }])).toMatchObject({ model_resolved: "fake/a" });
    const mixed = sumMetrics([{ model_resolved: "fake/a" }, { model_resolved: "fake/b" }]);
    expect(mixed.models_resolved).toEqual(["fake/a", "fake/b"]);
    expect(mixed).not.toHaveProperty("model_resolved");
    expect(sumMetrics([{ tokens_in: 1 }])).not.toHaveProperty("model_resolved");
  });
});

describe("fanout", () => {
  const m = (tokens: number, extra: object = {}) => ({
    duration_ms: 999,
    tokens_in: tokens,
    tokens_out: tokens,
    cost_usd: 0.1,
    llm_calls: 1,
    tool_calls: 1,
    ...extra,
  });
  const outcomes: FanoutItemOutcome[] = [
    { ok: true, output: { r: 0 }, metrics: m(1) },
    { ok: false, error: "boom one", metrics: m(2, { reflected: true, reflect_calls: 1 }) },
    { ok: true, output: { r: 2 }, metrics: m(3) },
    { ok: false, error: "boom three", metrics: m(4) },
  ];

  it("results keep input order with ktsu_error markers", () => {
    expect(fanoutResults(outcomes)).toEqual({
      results: [{ r: 0 }, { ktsu_error: "boom one", item_index: 1 }, { r: 2 }, { ktsu_error: "boom three", item_index: 3 }],
    });
  });

  it("max_failures 0 fails on the lowest failing index", () => {
    expect(fanoutFailure(outcomes, 0)).toBe("fanout item 1: boom one");
    expect(fanoutFailure([outcomes[0]!, outcomes[2]!], 0)).toBeNull();
  });

  it("max_failures N fails only above N", () => {
    expect(fanoutFailure(outcomes, 1)).toBe("fanout: 2 items failed (max_failures: 1)");
    expect(fanoutFailure(outcomes, 2)).toBeNull();
    expect(fanoutFailure(outcomes, 5)).toBeNull();
  });

  it("negative max_failures never fails", () => {
    expect(fanoutFailure(outcomes, -1)).toBeNull();
    expect(fanoutFailure([{ ok: false, error: "x" }], -7)).toBeNull();
  });

  it("aggregates metrics over all items, failed included, duration 0", () => {
    const ok = aggregateFanout(outcomes, -1);
    expect(ok.kind).toBe("ok");
    expect(ok.failed).toBe(2);
    expect(ok.metrics).toEqual({
      duration_ms: 0,
      tokens_in: 10,
      tokens_out: 10,
      cost_usd: 0.4,
      llm_calls: 4,
      tool_calls: 4,
      reflected: true,
      reflect_calls: 1,
    });
    if (ok.kind === "ok") expect(ok.output.results).toHaveLength(4);

    const failed = aggregateFanout(outcomes, 0);
    expect(failed).toMatchObject({ kind: "fail", error: "fanout item 1: boom one", failed: 2 });
    expect(failed.metrics.tokens_in).toBe(10);

    expect(aggregateFanout([], 0)).toEqual({ kind: "ok", output: { results: [] }, metrics: zeroMetrics(), failed: 0 });
  });

  it("names the items' models: the one model when they agree, the distinct ones (failed items included) otherwise", () => {
    const on = (model: string, ok = true): FanoutItemOutcome =>
      ok ? { ok: true, output: {}, metrics: m(1, { model_resolved: model }) } : { ok: false, error: "x", metrics: m(1, { model_resolved: model }) };
    expect(aggregateFanout([on("fake/a"), on("fake/a", false)], -1).metrics).toMatchObject({ model_resolved: "fake/a" });
    const mixed = aggregateFanout([on("fake/a"), on("fake/b", false), on("fake/a")], -1).metrics;
    expect(mixed.models_resolved).toEqual(["fake/a", "fake/b"]);
    expect(mixed).not.toHaveProperty("model_resolved");
  });

  it("item selection and concurrency", () => {
    expect(selectFanoutItems("step.a.list", [1, 2, 3], 2)).toEqual({ ok: true, items: [1, 2] });
    expect(selectFanoutItems("x", [1, 2, 3], 0)).toEqual({ ok: true, items: [1, 2, 3] });
    expect(selectFanoutItems("x.y", null, 0)).toEqual({ ok: false, error: 'for_each from "x.y": expected array, got <nil>' });
    expect(selectFanoutItems("x", { a: 1 }, 0)).toEqual({ ok: false, error: 'for_each from "x": expected array, got map[string]interface {}' });
    expect(fanoutConcurrency(0, 5)).toBe(5);
    expect(fanoutConcurrency(-1, 5)).toBe(5);
    expect(fanoutConcurrency(9, 5)).toBe(5);
    expect(fanoutConcurrency(2, 5)).toBe(2);
  });
});
