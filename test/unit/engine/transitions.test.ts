import { describe, expect, it } from "vitest";
import type { CompiledStep } from "../../../shared/bundle.ts";
import { finishOutput } from "../../../workers/orchestrator/src/run/finish.ts";
import { RunState } from "../../../workers/orchestrator/src/run/run-state.ts";
import { Transitions } from "../../../workers/orchestrator/src/run/transitions.ts";
import { agentStep, createdRun, MemoryStorage, MemoryStore, startInput, workflow } from "./run-fakes.ts";

const flow = workflow([agentStep("a"), agentStep("b"), agentStep("c", ["a"], 0.5)]);
const step = (id: string): CompiledStep => flow.pipeline.find((s) => s.id === id)!;

async function setup(): Promise<{ state: RunState; transitions: Transitions }> {
  const { state } = await createdRun(flow);
  const transitions = new Transitions(state, { judge: (s, output) => finishOutput(s, output, {}), subRunResult: () => ({}), hostsStopped: () => {} });
  return { state, transitions };
}

/** The run's events so far (committed first, then read back from storage), as `type:step`. */
async function eventTypes(state: RunState): Promise<string[]> {
  await state.commit();
  return (await state.storedEvents(0)).map((e) => `${e.type}${e.step_id ? `:${e.step_id}` : ""}`);
}

describe("run transitions", () => {
  it("settles an output: the step completes with the output cleaned of reserved fields", async () => {
    const { state, transitions } = await setup();
    transitions.startStep(step("a"));
    transitions.settle(step("a"), { kind: "output", output: { answer: 42, ktsu_rationale: "r" } });
    const a = state.stepRecord(state.stepState("a"));
    expect(a.status).toBe("complete");
    expect(a.output).toEqual({ answer: 42 });
    expect(a.signal).toBeUndefined();
    expect(await eventTypes(state)).toEqual(["run_started", "step_started:a", "step_completed:a"]);
  });

  it("fail-fast: a failed step fails the run and cancels the running steps, marked as cancelled by the run's end", async () => {
    const { state, transitions } = await setup();
    transitions.startStep(step("a"));
    transitions.startStep(step("b"));
    transitions.settle(step("a"), { kind: "failed", error: "agent step failed: boom" });
    expect(state.run.status).toBe("failed");
    expect(state.run.error).toBe("agent step failed: boom");
    const b = state.stepRecord(state.stepState("b"));
    expect(b.status).toBe("failed");
    expect(b.error).toBe("cancelled: the run ended (failed)");
    expect(b.cancelled).toEqual({ run_status: "failed" });
    expect(state.stepRecord(state.stepState("a")).cancelled).toBeUndefined();
    // A late result for the cancelled step changes nothing.
    transitions.settle(step("b"), { kind: "output", output: { late: true } });
    expect(state.stepState("b").status).toBe("cancelled");
    expect(await eventTypes(state)).toContain("step_cancelled:b");
  });

  it("a reserved flag fails the step with its error text and names the field as the step's signal", async () => {
    const { state, transitions } = await setup();
    transitions.startStep(step("a"));
    transitions.settle(step("a"), { kind: "output", output: { ktsu_injection_attempt: true } });
    const a = state.stepRecord(state.stepState("a"));
    expect(a.error).toBe("injection attempt detected");
    expect(a.signal).toBe("ktsu_injection_attempt");
  });

  it("a confidence below the step's threshold is signalled as ktsu_confidence", async () => {
    const { state, transitions } = await setup();
    transitions.startStep(step("a"));
    transitions.settle(step("a"), { kind: "output", output: {} });
    transitions.startStep(step("c"));
    transitions.settle(step("c"), { kind: "output", output: { ktsu_confidence: 0.2 } });
    const c = state.stepRecord(state.stepState("c"));
    expect(c.error).toBe("confidence below threshold");
    expect(c.signal).toBe("ktsu_confidence");
  });

  it("ktsu_needs_human halts the run without cancelling running steps; approval resumes it", async () => {
    const { state, transitions } = await setup();
    transitions.startStep(step("a"));
    transitions.startStep(step("b"));
    transitions.settle(step("a"), { kind: "output", output: { draft: "d", ktsu_needs_human: true } });
    expect(state.run.status).toBe("needs_human");
    const a = state.stepState("a");
    expect(a.status).toBe("needs_human");
    expect(a.signal).toBe("ktsu_needs_human");
    expect(a.approval).toMatchObject({ status: "pending", kind: "needs_human", arguments: { draft: "d" } });
    expect(state.stepState("b").status).toBe("running");
    expect(state.stepState("b").cancelled).toBeUndefined();

    transitions.resumeAfterHuman("a");
    expect(state.run.status).toBe("running");
    expect(state.run.error).toBeUndefined();
    const record = state.stepRecord(a);
    expect(record.status).toBe("complete");
    expect(record.output).toEqual({ draft: "d" });
    expect((await eventTypes(state)).slice(-2)).toEqual(["step_completed:a", "run_resumed:a"]);
  });

  it("completing the run cancels nothing that already settled and stamps completed_at", async () => {
    const { state, transitions } = await setup();
    transitions.startStep(step("a"));
    transitions.settle(step("a"), { kind: "skipped", context: { skipped: true } });
    transitions.endRun("complete");
    expect(state.run.status).toBe("complete");
    expect(state.run.completed_at).toBeDefined();
    expect(state.stepState("a").status).toBe("skipped");
    expect((await eventTypes(state)).at(-1)).toBe("run_completed");
  });
});

describe("secret values entering the state of a sub-run", () => {
  const SECRET = "pw-transitions-5d7e9a";
  const subRun = startInput("run-1/call", { parent: { run_id: "run-1", step_id: "call" }, root_run_id: "run-1", env_enabled: false, secret_params: [SECRET] });

  /** A sub-run with the state key set, as deployed: its params are sealed, so storage must hold the secret nowhere. */
  async function subRunSetup(result: Record<string, unknown>) {
    const storage = new MemoryStorage();
    const state = new RunState({
      storage,
      mirror: new MemoryStore(),
      workflowOf: (key) => (key === flow.key ? flow : undefined),
      envValue: () => undefined,
      stateKey: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))),
    });
    await state.create({ ...subRun, params: { all: { password: SECRET } } });
    const transitions = new Transitions(state, { judge: (s, output) => finishOutput(s, output, {}), subRunResult: () => result, hostsStopped: () => {} });
    return { state, storage, transitions };
  }

  it("its result (read from params, which may carry the secret in a plain param) is masked before it is kept or stored", async () => {
    const { state, storage, transitions } = await subRunSetup({ copied: SECRET, note: `it is ${SECRET}` });
    transitions.endRun("complete");
    expect(state.run.result).toEqual({ copied: "[REDACTED]", note: "it is [REDACTED]" });
    await state.commit();
    expect(JSON.stringify([...storage.data])).not.toContain(SECRET);
  });

  it("a raw output, a held needs_human output and a run error are masked before they are kept or stored", async () => {
    const { state, storage, transitions } = await subRunSetup({});
    transitions.startStep(step("a"));
    transitions.startStep(step("b"));
    transitions.settle(step("a"), { kind: "output", output: { ktsu_needs_human: true, said: SECRET } });
    expect(JSON.stringify(state.stepState("a").held_output)).not.toContain(SECRET);
    transitions.settle(step("b"), { kind: "failed", error: `failed with ${SECRET}`, details: { raw_output: `{"x":"${SECRET}"}` } });
    expect(state.stepState("b").raw_output).toBe('{"x":"[REDACTED]"}');
    transitions.endRun("failed", `ended with ${SECRET}`);
    expect(state.run.error).toBe("ended with [REDACTED]");
    await state.commit();
    const stored = JSON.stringify([...storage.data]);
    expect(stored).toContain("[REDACTED]");
    expect(stored).not.toContain(SECRET);
  });
});
