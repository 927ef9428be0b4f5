import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { StepState } from "../../../workers/orchestrator/src/run/model.ts";
import { runStub } from "../../../workers/orchestrator/src/run/stub.ts";
import { eventually, get, script, settled, start, step } from "./helpers.ts";

const HEARTBEAT_TIMEOUT_MS = Number(env.KTSU_HEARTBEAT_TIMEOUT_MS);

describe("DAG scheduling", () => {
  it("runs independent steps concurrently: their running times overlap", async () => {
    const runId = await start("parallel", { script_a: script({ output: { a: 1 }, delay_ms: 1000 }), script_b: script({ output: { b: 2 }, delay_ms: 1000 }) });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    const a = step(view, "a");
    const b = step(view, "b");
    const overlap = Math.min(Date.parse(a.ended_at!), Date.parse(b.ended_at!)) - Math.max(Date.parse(a.started_at!), Date.parse(b.started_at!));
    // Run one after the other, the later would start only once the earlier ended (overlap ≤ 0).
    expect(overlap).toBeGreaterThan(0);
    expect(step(view, "joined").output).toEqual({ result: { a: 1, b: 2 } });
    // The join starts only after both dependencies ended.
    expect(Date.parse(step(view, "joined").started_at!)).toBeGreaterThanOrEqual(Math.max(Date.parse(a.ended_at!), Date.parse(b.ended_at!)));
  });
});

describe("conditions and skips", () => {
  const cases: Array<[unknown, "complete" | "skipped"]> = [
    [true, "complete"],
    [false, "skipped"],
    [null, "skipped"],
    ["", "skipped"],
    [0, "skipped"],
    ["yes", "complete"],
    [1, "complete"],
    [[], "complete"], // empty arrays and objects are truthy (Go truthiness)
    [{}, "complete"],
  ];
  it.each(cases)("flag %j → the gated step is %s, and the run completes", async (flag, expected) => {
    const runId = await start("conditions", { flag });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "gated").status).toBe(expected);
    // Skips do not propagate: the dependent step still runs.
    expect(step(view, "downstream").status).toBe("complete");
  });

  it("a skipped step shows {skipped, reason} to downstream expressions but stores no output", async () => {
    const view = await settled(await start("conditions", { flag: false }));
    expect(step(view, "gated").output).toBeUndefined();
    expect(step(view, "sees_skip").status).toBe("complete");
    expect(step(view, "sees_skip").output).toEqual({ result: { skipped: true, reason: "condition_false" } });
  });

  it("a missing param is null: condition false, step skipped", async () => {
    const view = await settled(await start("conditions", {}));
    expect(step(view, "gated").status).toBe("skipped");
  });
});

describe("reserved ktsu_* fields (applied once, with the step's threshold)", () => {
  const failures: Array<[string, string]> = [
    ["ktsu_injection_attempt", "injection attempt detected"],
    ["ktsu_untrusted_content", "untrusted content detected"],
    ["ktsu_low_quality", "low quality output"],
  ];
  it.each(failures)("%s: true fails the step and the run with the exact text", async (field, error) => {
    const view = await settled(await start("agent-free", { script: script({ output: { [field]: true, x: 1 } }) }));
    expect(view.run.status).toBe("failed");
    expect(view.run.error).toBe(error);
    expect(step(view, "a").status).toBe("failed");
    expect(step(view, "a").error).toBe(error);
    // Fail-fast: the dependent step never started, so it has no record.
    expect(view.steps!.map((s) => s.id)).toEqual(["a"]);
  });

  it("only boolean true triggers a flag", async () => {
    const view = await settled(await start("agent-free", { script: script({ output: { ktsu_low_quality: "true", x: 1 } }) }));
    expect(view.run.status).toBe("complete");
    expect(step(view, "a").output).toEqual({ x: 1 });
  });

  it("ktsu_needs_human halts the run with the needs_human status", async () => {
    const view = await settled(await start("agent-free", { script: script({ output: { ktsu_needs_human: true } }) }));
    expect(view.run.status).toBe("needs_human");
    expect(view.run.error).toBe("needs_human_review");
    expect(step(view, "a").status).toBe("needs_human");
  });

  it("ktsu_skip_reason skips the step cleanly and the run completes", async () => {
    const view = await settled(await start("agent-free", { script: script({ output: { ktsu_skip_reason: "nothing to do", n: 1 } }) }));
    expect(view.run.status).toBe("complete");
    expect(step(view, "a").status).toBe("skipped");
    // Downstream sees the cleaned output.
    expect(step(view, "after").output).toEqual({ result: { n: 1 } });
  });

  it("unknown ktsu_ fields are stripped; flags and rationale are not stored", async () => {
    const view = await settled(
      await start("agent-free", { script: script({ output: { keep: 1, ktsu_future_field: 2, ktsu_flags: ["x"], ktsu_rationale: "r" } }) }),
    );
    expect(step(view, "a").output).toEqual({ keep: 1 });
  });

  it.each([
    [0.8, "complete"],
    [0.95, "complete"],
    [0.79, "failed"],
    [undefined, "failed"],
  ])("confidence %s against threshold 0.8 → %s (equal passes)", async (confidence, expected) => {
    const output = confidence === undefined ? { x: 1 } : { x: 1, ktsu_confidence: confidence };
    const view = await settled(await start("agent-threshold", { script: script({ output }) }));
    expect(step(view, "a").status).toBe(expected);
    if (expected === "failed") expect(view.run.error).toBe("confidence below threshold");
  });
});

describe("Air-Lock: full JSON Schema validation of step outputs", () => {
  it("accepts a conforming output", async () => {
    const view = await settled(await start("agent-strict", { script: script({ output: { answer: "yes", count: 2, items: [{ name: "a" }] } }) }));
    expect(view.run.status).toBe("complete");
  });

  it("a missing required field keeps the original's message", async () => {
    const view = await settled(await start("agent-strict", { script: script({ output: { count: 2 } }) }));
    expect(view.run.status).toBe("failed");
    expect(step(view, "a").error).toBe('output missing required field "answer"');
  });

  it("rejects wrong types, enums and nested violations, storing the raw output and every failing path", async () => {
    const bad = { answer: "maybe", count: "two", items: [{ name: 3 }] };
    const view = await settled(await start("agent-strict", { script: script({ output: bad }) }));
    const a = step(view, "a");
    expect(a.status).toBe("failed");
    expect(a.error).toMatch(/^output field "\/answer" must be equal to one of the allowed values \(and 2 more schema violations\)$/);
    expect(JSON.parse(a.raw_output!)).toEqual(bad);
    expect(a.validation_errors!.map((e) => e.path).sort()).toEqual(["/answer", "/count", "/items/0/name"]);
    expect(a.output).toBeUndefined();
    // Metrics are kept on the failed step.
    expect(a.metrics.llm_calls).toBe(1);
  });
});

describe("agent dispatch results", () => {
  it("maps a failed runtime callback to `agent step failed: <error>` with the raw output", async () => {
    const view = await settled(await start("agent-free", { script: script({ status: "failed", error: "max_turns_exceeded", raw_output: "not json" }) }));
    expect(view.run.error).toBe("agent step failed: max_turns_exceeded");
    expect(step(view, "a").raw_output).toBe("not json");
  });

  it("a runtime that refuses the dispatch fails the step with its status and its reason", async () => {
    const view = await settled(await start("agent-free", { script: script({ reject_status: 503 }) }));
    expect(view.run.error).toBe("runtime returned 503: rejected by script");
  });

  it("copies the runtime's metrics onto the step and sums them in the envelope", async () => {
    const runId = await start("agent-free", {
      script: script({ output: { x: 1 }, metrics: { tokens_in: 100, tokens_out: 40, cost_usd: 0.0025, llm_calls: 2, tool_calls: 3 } }),
    });
    const view = await settled(runId);
    expect(step(view, "a").metrics).toMatchObject({ tokens_in: 100, tokens_out: 40, cost_usd: 0.0025, llm_calls: 2, tool_calls: 3 });
    const envelope = await get<{ totals: Record<string, number>; steps: Array<{ id: string }> }>(`/runs/${runId}/envelope`);
    expect(envelope.body.totals).toMatchObject({ tokens_in: 100, tokens_out: 40, cost_usd: 0.0025, llm_calls: 2, tool_calls: 3 });
    expect(envelope.body.steps.map((s) => s.id)).toEqual(["a", "after"]);
    // Without a budget the gateway keeps no ledger for the run, so the envelope has no budget section.
    expect((envelope.body as unknown as { budget?: unknown }).budget).toBeUndefined();
  });

  it("fails a step whose runtime stops heartbeating, with its alarm set for the heartbeat deadline (not the slower watchdog)", async () => {
    const runId = await start("agent-free", { script: script({ hang: true, heartbeat: false }) });
    // Read in one turn of the run's Durable Object, so the step and the alarm agree.
    const { alarm, deadline } = await eventually(() =>
      runInDurableObject(runStub(env, runId), async (_instance, state) => {
        const stepState = await state.storage.get<StepState>("step:a");
        if (stepState?.status !== "running" || stepState.heartbeat_deadline_at === undefined) return undefined;
        return { alarm: await state.storage.getAlarm(), deadline: stepState.heartbeat_deadline_at };
      }),
    );
    expect(alarm).toBe(deadline);
    const view = await settled(runId);
    expect(view.run.status).toBe("failed");
    expect(view.run.error).toBe(`agent step "a" timed out: no heartbeat from the runtime for ${HEARTBEAT_TIMEOUT_MS / 1000}s`);
    // Lost before its first checkpoint (no tool can have run), it was dispatched once more before it failed.
    const attempts = await runInDurableObject(runStub(env, runId), async (_instance, state) => (await state.storage.get<StepState>("step:a"))?.attempt);
    expect(attempts).toBe(2);
  });

  it("enforces model_policy.timeout_s per step even while heartbeats keep coming", async () => {
    const view = await settled(await start("slow", { script: script({ hang: true }) }));
    expect(view.run.status).toBe("failed");
    expect(view.run.error).toBe('step "a" timed out after model_policy.timeout_s = 1s');
  });
});
