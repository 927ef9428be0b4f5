import { describe, expect, it } from "vitest";
import { type AlarmStorage, checkSteps, Clock, nextWakeUp, RETRY_MS, WATCHDOG_MS } from "../../../workers/orchestrator/src/run/clock.ts";
import { agentStep, createdRun, startInput, workflow } from "./run-fakes.ts";

const flow = workflow([agentStep("a"), agentStep("b")]);
const NOW = 1_000_000;

class FakeAlarms implements AlarmStorage {
  at: number | null = null;
  sets = 0;
  async getAlarm(): Promise<number | null> {
    return this.at;
  }
  async setAlarm(at: number): Promise<void> {
    this.at = at;
    this.sets += 1;
  }
  async deleteAlarm(): Promise<void> {
    this.at = null;
  }
}

describe("next wake-up", () => {
  it("is null when nothing runs and nothing is owed to anyone", async () => {
    const { state } = await createdRun(flow);
    await state.commit();
    expect(nextWakeUp(state, NOW)).toBeNull();
  });

  it("is the earliest of a running step's deadlines, capped by the watchdog", async () => {
    const { state } = await createdRun(flow);
    await state.commit();
    const a = state.stepState("a");
    a.status = "running";
    a.heartbeat_deadline_at = NOW + 3000;
    a.deadline_at = NOW + 2000;
    expect(nextWakeUp(state, NOW)).toBe(NOW + 2000);
    a.heartbeat_deadline_at = NOW + 1500;
    expect(nextWakeUp(state, NOW)).toBe(NOW + 1500);
    delete a.heartbeat_deadline_at;
    a.deadline_at = NOW + 10 * WATCHDOG_MS;
    expect(nextWakeUp(state, NOW)).toBe(NOW + WATCHDOG_MS);
  });

  it("counts the heartbeat deadlines of running fanout items only, as their status changes", async () => {
    const { state } = await createdRun(flow);
    await state.commit();
    const first = { index: 0, status: "running" as const, item: "x", attempt: 1, heartbeat_deadline_at: NOW + 4000 };
    const second = { index: 1, status: "running" as const, item: "y", attempt: 1, heartbeat_deadline_at: NOW + 6000 };
    state.putItem("a", first);
    state.putItem("a", second);
    expect(nextWakeUp(state, NOW)).toBe(NOW + 4000);
    state.putItem("a", { ...first, status: "ok" });
    expect(nextWakeUp(state, NOW)).toBe(NOW + 6000);
    second.heartbeat_deadline_at = NOW + 7000; // a heartbeat moves the deadline in memory only
    expect(nextWakeUp(state, NOW)).toBe(NOW + 7000);
    state.putItem("a", { ...second, status: "failed" });
    expect(nextWakeUp(state, NOW)).toBeNull();
  });

  it("includes a pending approval's timeout even when no step runs", async () => {
    const { state } = await createdRun(flow);
    await state.commit();
    const a = state.stepState("a");
    a.status = "pending_approval";
    a.approval = {
      run_id: "run-1",
      step_id: "a",
      seq: 1,
      tool_name: "t",
      tool_use_id: "u",
      on_reject: "fail",
      timeout_ms: 5000,
      timeout_behavior: "fail",
      status: "pending",
      created_at: "",
      partial_metrics: a.metrics,
      kind: "tool",
      timeout_at: NOW + 5000,
    };
    expect(nextWakeUp(state, NOW)).toBe(NOW + 5000);
  });

  it("retries soon while D1 is behind (a failed mirror batch)", async () => {
    const { state, store } = await createdRun(flow);
    store.failNext = 1;
    await state.commit();
    expect(nextWakeUp(state, NOW)).toBe(NOW + RETRY_MS);
    await state.commit();
    expect(nextWakeUp(state, NOW)).toBeNull();
  });

  it("retries soon while an ended sub-run's parent has not acknowledged it", async () => {
    const { state } = await createdRun(flow, startInput("p/s", { parent: { run_id: "p", step_id: "s" } }));
    await state.commit();
    state.run.status = "complete";
    expect(nextWakeUp(state, NOW)).toBe(NOW + RETRY_MS);
    state.run.parent_notified = true;
    expect(nextWakeUp(state, NOW)).toBeNull();
  });
});

describe("the clock", () => {
  it("sets the alarm to the next wake-up, moves it only earlier, and deletes it when nothing is due", async () => {
    const { state } = await createdRun(flow);
    await state.commit();
    const alarms = new FakeAlarms();
    const clock = new Clock(alarms, state);
    const a = state.stepState("a");
    a.status = "running";
    a.heartbeat_deadline_at = Date.now() + 60_000;
    await clock.schedule();
    const first = alarms.at!;
    expect(first).toBeGreaterThan(Date.now());
    expect(first).toBeLessThanOrEqual(Date.now() + WATCHDOG_MS);
    a.heartbeat_deadline_at = first + 5000; // later: the alarm stays
    await clock.schedule();
    expect(alarms.sets).toBe(1);
    a.status = "complete";
    await clock.schedule();
    expect(alarms.at).toBeNull();
  });

  it("the alarm's checks fail a step past its deadline and resume the lost work of the others", async () => {
    const { state } = await createdRun(flow, startInput("run-1", { timeout_s: 7 }));
    const a = state.stepState("a");
    const b = state.stepState("b");
    a.status = "running";
    a.deadline_at = NOW - 1;
    b.status = "running";
    b.deadline_at = NOW + 1000;
    const calls: string[] = [];
    await checkSteps(
      state,
      {
        expireApproval: async (id) => void calls.push(`expire:${id}`),
        failStep: (id, error) => void calls.push(`fail:${id}:${error}`),
        checkLiveness: async (step) => {
          calls.push(`live:${step.id}`);
          return null;
        },
        resumeLost: async (step) => void calls.push(`resume:${step.id}`),
      },
      NOW,
      1500,
    );
    expect(calls).toEqual(['fail:a:step "a" timed out after model_policy.timeout_s = 7s', "live:b", "resume:b"]);
  });
});
