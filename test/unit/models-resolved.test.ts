import { describe, expect, it } from "vitest";
import { modelsInParallel, modelsInSequence, modelsOf } from "../../shared/contracts/models-resolved.ts";

describe("the models that answered a step", () => {
  it("reads the distinct models of a step's metrics, in the order first seen", () => {
    expect(modelsOf({ model_resolved: "fake/a" })).toEqual(["fake/a"]);
    expect(modelsOf({ model_resolved: "fake/b", models_resolved: ["fake/a", "fake/b"] })).toEqual(["fake/a", "fake/b"]);
    expect(modelsOf({ models_resolved: ["fake/a", "fake/a", ""] })).toEqual(["fake/a"]);
    expect(modelsOf({ model_resolved: "" })).toEqual([]);
    expect(modelsOf(null)).toEqual([]);
  });

  it("in sequence: the last part's model is the step's, every distinct model listed when there are several", () => {
    expect(modelsInSequence([{ model_resolved: "fake/a" }, { model_resolved: "fake/a" }])).toEqual({ model_resolved: "fake/a" });
    expect(modelsInSequence([{ model_resolved: "claude/x" }, { model_resolved: "fake/y" }, { model_resolved: "claude/x" }])).toEqual({
      model_resolved: "claude/x",
      models_resolved: ["claude/x", "fake/y"],
    });
    // A later part that made no call (no model) keeps the earlier one.
    expect(modelsInSequence([{ model_resolved: "fake/a" }, {}, null])).toEqual({ model_resolved: "fake/a" });
    // Lists of earlier legs carry over.
    expect(modelsInSequence([{ model_resolved: "fake/b", models_resolved: ["fake/a", "fake/b"] }, { model_resolved: "fake/c" }])).toEqual({
      model_resolved: "fake/c",
      models_resolved: ["fake/a", "fake/b", "fake/c"],
    });
    expect(modelsInSequence([])).toEqual({});
  });

  it("in parallel: one model named only when it answered every part, otherwise the list alone", () => {
    expect(modelsInParallel([{ model_resolved: "fake/a" }, { model_resolved: "fake/a" }, {}])).toEqual({ model_resolved: "fake/a" });
    expect(modelsInParallel([{ model_resolved: "fake/b" }, { model_resolved: "fake/a" }, { model_resolved: "fake/b" }])).toEqual({
      models_resolved: ["fake/b", "fake/a"],
    });
    expect(modelsInParallel([{ model_resolved: "fake/a", models_resolved: ["claude/x", "fake/a"] }])).toEqual({ models_resolved: ["claude/x", "fake/a"] });
    expect(modelsInParallel([{}, null])).toEqual({});
  });
});
