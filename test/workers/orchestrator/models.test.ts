// The models that answered a step: what the runtime reports in its result's metrics
// (`model_resolved`, `models_resolved`) is kept on the step record, in the envelope, across
// an approval's or a re-dispatch's legs, and summed for fanout and sub-workflow steps.
// The runtime is the scripted fake (test/workers/support/fake-runtime).
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Envelope, EnvelopeStep, StepRecord } from "../../../shared/contracts/records.ts";
import { eventually, get, script, settled, start, step, type RunView } from "./helpers.ts";

async function envelopeStep(runId: string, stepId: string): Promise<EnvelopeStep> {
  const { status, body } = await get<Envelope>(`/runs/${encodeURIComponent(runId)}/envelope`);
  expect(status).toBe(200);
  const found = body.steps?.find((s) => s.id === stepId);
  if (!found) throw new Error(`no step ${stepId} in the envelope of ${runId}`);
  return found;
}

const modelFields = (record: Pick<StepRecord, "metrics">) => {
  const { model_resolved, models_resolved } = record.metrics;
  return { model_resolved, models_resolved };
};

describe("the models that answered an agent step", () => {
  it("are kept from the runtime's result on the step record and in the envelope", async () => {
    const runId = await start("agent-free", {
      script: script({
        output: { x: 1 },
        metrics: { llm_calls: 2, model_resolved: "fake/gpt-4o-mini", models_resolved: ["claude/claude-sonnet-4-6", "fake/gpt-4o-mini"] },
      }),
    });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    const expected = { model_resolved: "fake/gpt-4o-mini", models_resolved: ["claude/claude-sonnet-4-6", "fake/gpt-4o-mini"] };
    expect(modelFields(step(view, "a"))).toEqual(expected);
    expect(modelFields(await envelopeStep(runId, "a"))).toEqual(expected);
    // A transform calls no model.
    expect(modelFields(step(view, "after"))).toEqual({ model_resolved: undefined, models_resolved: undefined });
  });

  it("one model: the step names it, with no list", async () => {
    const runId = await start("agent-free", { script: script({ output: { x: 1 }, metrics: { model_resolved: "fake/fake-model" } }) });
    const view = await settled(runId);
    expect(modelFields(step(view, "a"))).toEqual({ model_resolved: "fake/fake-model", models_resolved: undefined });
    expect((await envelopeStep(runId, "a")).metrics.model_resolved).toBe("fake/fake-model");
  });

  it("across an approval: the resumed leg's model is the step's, both legs' models listed", async () => {
    const runId = await start("agent-free", {
      script: script({
        status: "pending_approval",
        pending_approval: { tool_name: "delete_user", tool_use_id: "call_1", arguments: {}, on_reject: "fail", timeout_ms: 0, timeout_behavior: "fail" },
        messages: [{ role: "user", content: "u" }],
        metrics: { model_resolved: "claude/claude-sonnet-4-6" },
        on_resume: { output: { done: true }, metrics: { model_resolved: "fake/gpt-4o-mini" } },
      }),
    });
    const waiting = await eventually(async () => {
      const { body } = await get<RunView>(`/runs/${runId}`);
      const a = body.steps?.find((s) => s.id === "a");
      return a?.status === "pending_approval" ? a : undefined;
    });
    expect(waiting.metrics.model_resolved).toBe("claude/claude-sonnet-4-6");
    const decided = await SELF.fetch(`https://ktsu.test/runs/${runId}/steps/a/approval/decide`, {
      method: "POST",
      body: JSON.stringify({ decision: "approved" }),
    });
    expect(decided.status).toBe(200);
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(modelFields(step(view, "a"))).toEqual({ model_resolved: "fake/gpt-4o-mini", models_resolved: ["claude/claude-sonnet-4-6", "fake/gpt-4o-mini"] });
  });

  it("across a re-dispatch after a lost runtime: the model its checkpoint reported is kept", async () => {
    const runId = await start("agent-free", {
      script: script({
        checkpoint_turns: 1,
        checkpoint_metrics: { llm_calls: 1, model_resolved: "claude/claude-sonnet-4-6" },
        hang: true,
        heartbeat: false,
        on_resume: { output: { done: true }, metrics: { model_resolved: "fake/gpt-4o-mini" } },
      }),
    });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(modelFields(step(view, "a"))).toEqual({ model_resolved: "fake/gpt-4o-mini", models_resolved: ["claude/claude-sonnet-4-6", "fake/gpt-4o-mini"] });
  });
});

describe("the models of a fanout or sub-workflow step", () => {
  const item = (model: string) => ({ script: { output: { on: model }, metrics: { model_resolved: model } } });

  it("a fanout whose items were answered by one model names it", async () => {
    const runId = await start("fanout", { items: [item("fake/fake-model"), item("fake/fake-model")] });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(modelFields(step(view, "each"))).toEqual({ model_resolved: "fake/fake-model", models_resolved: undefined });
    expect((await envelopeStep(runId, "each")).metrics.model_resolved).toBe("fake/fake-model");
  });

  it("a fanout whose items were answered by different models lists them in item order, naming no single one", async () => {
    const runId = await start("fanout", { items: [item("fake/model-b"), item("fake/model-a"), item("fake/model-b")] });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(modelFields(step(view, "each"))).toEqual({ model_resolved: undefined, models_resolved: ["fake/model-b", "fake/model-a"] });
    expect(modelFields(await envelopeStep(runId, "each"))).toEqual({ model_resolved: undefined, models_resolved: ["fake/model-b", "fake/model-a"] });
  });

  it("a sub-workflow step names the model of its sub-run's agent", async () => {
    const runId = await start("parent-agent", { script: script({ output: { x: 1 }, metrics: { model_resolved: "fake/fake-model" } }) });
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "call").metrics.model_resolved).toBe("fake/fake-model");
  });
});
