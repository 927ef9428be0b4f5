import { describe, expect, it } from "vitest";
import { costSeries, ticks } from "../../../ui/src/cost.ts";
import { duration, modelsAnswered, usd } from "../../../ui/src/format.ts";
import { liveStatuses } from "../../../ui/src/live.ts";
import { parseRoute, runHref, runsHref } from "../../../ui/src/route.ts";
import { SIGNAL_MEANINGS, reservedSignal, wasCancelled } from "../../../ui/src/signals.ts";
import { RUN_EVENT_TYPES, type RunEventType } from "../../../shared/contracts/events.ts";
import type { ReservedSignalField, StepRecord } from "../../../shared/contracts/records.ts";
import { CONFIDENCE_BELOW_THRESHOLD, FATAL_FLAGS } from "../../../workers/orchestrator/src/engine/reserved-fields.ts";
import type { RunEvent } from "../../../ui/src/types.ts";

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const event = (seq: number, ms: number, type: RunEventType, step_id?: string, data?: Record<string, unknown>): RunEvent => ({
  run_id: "run_1",
  seq,
  type,
  created_at: at(ms),
  ...(step_id ? { step_id } : {}),
  ...(data ? { data } : {}),
});

describe("cost over time", () => {
  it("accumulates step costs at their event times and counts a step's latest figure once", () => {
    const series = costSeries([
      event(1, 0, "run_started"),
      event(2, 10, "step_started", "a", { type: "agent" }),
      event(3, 500, "step_needs_human", "a", { status: "needs_human", cost_usd: 0.25 }),
      event(4, 700, "step_completed", "b", { status: "complete", cost_usd: 0.5 }),
      event(5, 900, "step_completed", "a", { status: "complete", cost_usd: 0.25 }),
      event(6, 950, "run_completed", undefined, { status: "complete" }),
    ]);
    expect(series.total).toBe(0.75);
    expect(series.points).toEqual([
      { t: 0, total: 0, delta: 0 },
      { t: 500, total: 0.25, step: "a", delta: 0.25 },
      { t: 700, total: 0.75, step: "b", delta: 0.5 },
      { t: 900, total: 0.75, step: "a", delta: 0 },
      { t: 950, total: 0.75, delta: 0 },
    ]);
  });

  it("has no series before any event, and orders events by seq", () => {
    expect(costSeries([])).toEqual({ start: null, points: [], total: 0 });
    const series = costSeries([event(2, 100, "step_completed", "a", { cost_usd: 1 }), event(1, 0, "run_started")]);
    expect(series.points.map((p) => p.t)).toEqual([0, 100]);
  });

  it("picks round axis ticks that cover the maximum", () => {
    expect(ticks(1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(ticks(0.094)).toEqual([0, 0.025, 0.05, 0.075, 0.1]);
    expect(ticks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(ticks(0)).toEqual([0]);
  });
});

describe("live statuses from events", () => {
  const events = [
    event(1, 0, "run_started"),
    event(2, 1, "step_started", "a", { type: "webhook" }),
    event(3, 2, "step_completed", "a", { status: "complete" }),
    event(4, 3, "step_started", "b", { type: "agent" }),
    event(5, 4, "approval_pending", "b", { tool_name: "kv_set" }),
  ];

  it("gives the latest status per step and of the run when no record is known", () => {
    const live = liveStatuses(events, { steps: new Map() });
    expect(Object.fromEntries(live.steps)).toEqual({ a: "complete", b: "pending_approval" });
    expect(live.run).toBe("running");
  });

  it("ignores events no newer than the records (a replayed history), ties included", () => {
    const live = liveStatuses(events, {
      run: at(0),
      steps: new Map([
        ["a", at(2)],
        ["b", at(3)],
      ]),
    });
    expect(Object.fromEntries(live.steps)).toEqual({ b: "pending_approval" });
    expect(live.run).toBeUndefined();
    // A finished run replays its start: the record's "failed" must stand.
    const replay = [
      event(1, 0, "run_started"),
      event(2, 0, "step_started", "x"),
      event(3, 0, "step_failed", "x", { status: "failed" }),
      event(4, 0, "run_failed"),
    ];
    const settled = liveStatuses(replay.slice(0, 2), { run: at(0), steps: new Map([["x", at(0)]]) });
    expect(settled).toEqual({ steps: new Map() });
  });

  it("follows a decision: the step runs again until its next event", () => {
    const decided = [...events, event(6, 5, "approval_decided", "b", { decision: "approved" })];
    expect(liveStatuses(decided, { steps: new Map([["b", at(3)]]) }).steps.get("b")).toBe("running");
    const done = [...decided, event(7, 6, "step_completed", "b", { status: "complete" }), event(8, 6, "run_completed", undefined, { status: "complete" })];
    const live = liveStatuses(done, { run: at(0), steps: new Map([["b", at(3)]]) });
    expect(live.steps.get("b")).toBe("complete");
    expect(live.run).toBe("complete");
  });

  it("paints a cancelled run cancelled and its stopped step failed, the moment the events arrive", () => {
    const cancelled = [...events, event(6, 5, "step_cancelled", "b"), event(7, 5, "run_cancelled", undefined, { status: "cancelled" })];
    const live = liveStatuses(cancelled, { run: at(0), steps: new Map([["b", at(3)]]) });
    expect(live.steps.get("b")).toBe("failed");
    expect(live.run).toBe("cancelled");
  });
});

describe("live statuses for every event type", () => {
  it("every event type the orchestrator records announces a status of its step or of the run", () => {
    for (const type of RUN_EVENT_TYPES) {
      const live = liveStatuses([event(1, 0, type, "s")], { steps: new Map() });
      const announced = live.steps.get("s") ?? live.run;
      expect(announced, type).toBeDefined();
    }
  });

  it("a re-dispatched step and a timed-out approval leave the step running until its next event", () => {
    const redispatched = [event(1, 0, "step_started", "a"), event(2, 1, "step_redispatched", "a", { attempt: 2, from_turn: 1 })];
    expect(liveStatuses(redispatched, { steps: new Map() }).steps.get("a")).toBe("running");
    const timedOut = [event(1, 0, "approval_pending", "b", { tool_name: "kv_set" }), event(2, 1, "approval_timed_out", "b")];
    expect(liveStatuses(timedOut, { steps: new Map() }).steps.get("b")).toBe("running");
    const thenFailed = [...timedOut, event(3, 2, "step_failed", "b", { status: "failed" })];
    expect(liveStatuses(thenFailed, { steps: new Map() }).steps.get("b")).toBe("failed");
  });
});

describe("hash routes", () => {
  it("parses the runs list with its filters", () => {
    expect(parseRoute("")).toEqual({ page: "runs", workflow: "", status: "" });
    expect(parseRoute("#/runs?workflow=hello&status=failed")).toEqual({ page: "runs", workflow: "hello", status: "failed" });
    expect(runsHref({ workflow: "hello", status: "" })).toBe("#/runs?workflow=hello");
  });

  it("round-trips run ids with a slash (sub-runs) and the selected step", () => {
    const href = runHref("run_ab12/child", "draft");
    expect(href).toBe("#/runs/run_ab12%2Fchild?step=draft");
    expect(parseRoute(href)).toEqual({ page: "run", id: "run_ab12/child", step: "draft" });
    expect(parseRoute("#/runs/run_1")).toEqual({ page: "run", id: "run_1", step: null });
  });

  it("knows the approvals page and nothing else", () => {
    expect(parseRoute("#/approvals")).toEqual({ page: "approvals" });
    expect(parseRoute("#/nope/x/y")).toEqual({ page: "not_found", path: "/nope/x/y" });
    expect(parseRoute("#/runs/%E0%A4%A")).toMatchObject({ page: "not_found" });
  });
});

describe("what stopped a step", () => {
  // The fields the orchestrator acts on, from the code that acts on them.
  const producedFields = [...FATAL_FLAGS.map(([field]) => field), "ktsu_confidence"];

  it("explains every reserved field the orchestrator stops a step for, and no other", () => {
    expect(Object.keys(SIGNAL_MEANINGS).sort()).toEqual([...producedFields].sort());
    for (const field of Object.keys(SIGNAL_MEANINGS) as ReservedSignalField[]) {
      expect(reservedSignal({ signal: field })).toEqual({ field, meaning: SIGNAL_MEANINGS[field] });
      expect(SIGNAL_MEANINGS[field]).toMatch(/\S/);
    }
  });

  it("reads the typed field, never the error text: a step without it shows no signal", () => {
    for (const error of [...FATAL_FLAGS.map(([, text]) => text), CONFIDENCE_BELOW_THRESHOLD]) {
      const step: Partial<StepRecord> = { status: "failed", error: `agent step failed: ${error}` };
      expect(reservedSignal(step)).toBeNull();
    }
    expect(reservedSignal({})).toBeNull();
  });

  it("knows a cancelled step by its typed field only", () => {
    expect(wasCancelled({ cancelled: { run_status: "failed" } })).toBe(true);
    const failedOnItsOwn: Partial<StepRecord> = { status: "failed", error: "cancelled: the run ended (failed)" };
    expect(wasCancelled(failedOnItsOwn)).toBe(false);
    expect(wasCancelled({})).toBe(false);
  });
});

describe("formatting", () => {
  it("shows money and durations compactly", () => {
    expect(usd(0)).toBe("$0");
    expect(usd(0.094)).toBe("$0.0940");
    expect(usd(12.5)).toBe("$12.50");
    expect(duration(15)).toBe("15 ms");
    expect(duration(1521)).toBe("1.52 s");
    expect(duration(125_000)).toBe("2 min 5 s");
    expect(duration(undefined)).toBe("–");
  });
});

describe("the models shown in the step panel", () => {
  it("names the one model, or lists several with the last marked, and nothing for a step without LLM calls", () => {
    expect(modelsAnswered({ model_resolved: "fake/fake-model" })).toEqual({ label: "Model", text: "fake/fake-model" });
    expect(modelsAnswered({ model_resolved: "fake/gpt-4o-mini", models_resolved: ["claude/claude-sonnet-4-6", "fake/gpt-4o-mini"] })).toEqual({
      label: "Models",
      text: "claude/claude-sonnet-4-6, fake/gpt-4o-mini (last)",
    });
    // A fanout whose items ran on different models: no call was the last one.
    expect(modelsAnswered({ models_resolved: ["fake/a", "fake/b"] })).toEqual({ label: "Models", text: "fake/a, fake/b" });
    expect(modelsAnswered({})).toBeNull();
  });
});
