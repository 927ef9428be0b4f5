import { describe, expect, it } from "vitest";
import type { RunRecord, StepView } from "../../../ui/src/types.ts";
import { buildTimeline } from "../../../ui/src/timeline.ts";

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const metrics = { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 };
const run: RunRecord = { id: "run_1", workflow_name: "w", status: "complete", created_at: at(0), updated_at: at(1000), completed_at: at(1000) };

describe("run timeline", () => {
  it("places steps in start order with their LLM and tool calls under them, by their recorded times", () => {
    const steps: StepView[] = [
      { id: "b", run_id: "run_1", name: "b", type: "transform", status: "complete", seq: 1, started_at: at(800), ended_at: at(900), metrics },
      {
        id: "a",
        run_id: "run_1",
        name: "a",
        type: "agent",
        status: "complete",
        seq: 0,
        started_at: at(100),
        ended_at: at(700),
        metrics: { ...metrics, cost_usd: 0.002 },
        calls: [
          { kind: "llm", started_at: at(120), ended_at: at(300), group: "default", model: "fake/m", tokens_in: 10, tokens_out: 5, cost_usd: 0.001 },
          { kind: "tool", started_at: at(310), ended_at: at(400), server: "kv", tool: "set", error: "boom" },
        ],
      },
      { id: "c", run_id: "run_1", name: "c", type: "webhook", status: "skipped", seq: -1, metrics },
    ];
    const { rows, total } = buildTimeline(run, steps, Date.parse(at(5000)));
    expect(total).toBe(1000);
    expect(rows.map((r) => [r.kind, r.label, r.start, r.end, r.failed])).toEqual([
      ["step", "a", 100, 700, false],
      ["llm", "LLM fake/m", 120, 300, false],
      ["tool", "tool kv.set", 310, 400, true],
      ["step", "b", 800, 900, false],
    ]);
    expect(rows[1]!.detail).toContain("10 in / 5 out");
  });

  it("runs a step still running up to now", () => {
    const running: RunRecord = { ...run, status: "running", completed_at: undefined, updated_at: at(100) };
    const steps: StepView[] = [{ id: "a", run_id: "run_1", name: "a", type: "agent", status: "running", seq: 0, started_at: at(50), metrics }];
    const { rows, total } = buildTimeline(running, steps, Date.parse(at(2000)));
    expect(rows[0]!.end).toBe(2000);
    expect(total).toBe(2000);
  });
});
