// The pure parts of `ktsu replay` and `ktsu test`: turns from a recorded conversation, request
// checks (secrets compared masked), fanout items, the comparison, case parsing and assertions.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../shared/contracts/runtime.ts";
import { createScrubber, REDACTED } from "../../shared/secrets/scrub.ts";
import { checkAssertion } from "../../cli/src/pipeline-test/assert.ts";
import { caseFromRecording, CaseError, parseCase, resultDocument } from "../../cli/src/pipeline-test/case.ts";
import { compareRuns } from "../../cli/src/replay/compare.ts";
import { recordedStep, recordedToolResult, turnsOf } from "../../cli/src/replay/conversation.ts";
import { jsonDiff } from "../../cli/src/replay/json-diff.ts";
import { runPathOf, type Recording } from "../../cli/src/replay/recording.ts";
import { checkRequest, describeMismatch } from "../../cli/src/replay/request-check.ts";

const conversation: ChatMessage[] = [
  { role: "system", content: "You keep notes. The key is s3cret-value." },
  { role: "user", content: "Remember tea" },
  { role: "assistant", content: "", tool_calls: [{ id: "c1", name: "set", arguments: { key: "tea" } }] },
  { role: "tool", content: "ok", tool_call_id: "c1" },
  { role: "assistant", content: '{"key":"tea"}' },
];
const noSecrets = createScrubber([]);

describe("turns of a recorded conversation", () => {
  it("pairs each assistant reply with the messages sent before it", () => {
    const turns = turnsOf({ run: "", id: "note", messages: conversation });
    expect(turns).toHaveLength(2);
    expect(turns[0]!.request).toEqual(conversation.slice(0, 2));
    expect(turns[1]!.request).toEqual(conversation.slice(0, 4));
    expect(turns[1]!.reply).toEqual({ content: '{"key":"tea"}', tool_calls: [] });
  });

  it("answers a tool call with the recorded result of the same call", () => {
    const steps = [{ run: "", id: "note", messages: conversation }];
    expect(recordedToolResult(steps, "set", { key: "tea" })).toBe("ok");
    expect(recordedToolResult(steps, "set", { key: "coffee" })).toBeUndefined();
  });

  it("answers a fanout item with its recorded output, not a failed one", () => {
    const steps = [{ run: "", id: "explain", output: { results: [{ topic: "a" }, { ktsu_error: "boom" }] } }];
    expect(turnsOf(recordedStep(steps, "", "explain.0")!)[0]!.reply!.content).toBe('{"topic":"a"}');
    expect(recordedStep(steps, "", "explain.1")).toBeUndefined();
    expect(recordedStep(steps, "", "explain.2")).toBeUndefined();
  });

  it("names sub-runs by the step ids below the root", () => {
    expect(runPathOf("run_1")).toBe("");
    expect(runPathOf("run_1/file/inner")).toBe("file/inner");
  });
});

describe("request checks", () => {
  const [first] = turnsOf({ run: "", id: "note", messages: conversation });
  const request = { model: "fake/m", messages: conversation.slice(0, 2), tools: ["set"] };

  it("accepts the recorded request", () => {
    expect(checkRequest(first!, "fake/m", request, noSecrets)).toBeNull();
  });

  it("names a changed prompt with both versions", () => {
    const changed = { ...request, messages: [conversation[0]!, { role: "user" as const, content: "Remember coffee" }] };
    const mismatch = checkRequest(first!, "fake/m", changed, noSecrets);
    expect(mismatch?.what).toBe("prompt");
    expect(describeMismatch(mismatch!)).toBe('the prompt no longer matches the recording: user message 2 was "Remember tea", is "Remember coffee"');
  });

  it("names a changed model and a tool no longer offered", () => {
    expect(checkRequest(first!, "other/m", request, noSecrets)?.what).toBe("model");
    expect(checkRequest(first!, "fake/m", { ...request, tools: [] }, noSecrets)).toEqual({
      what: "tools",
      detail: "the recorded reply calls set, which the request no longer offers",
    });
  });

  it("compares secrets masked on both sides", () => {
    const masked: ChatMessage[] = [{ role: "system", content: `You keep notes. The key is ${REDACTED}.` }, conversation[1]!];
    const [turn] = turnsOf({ run: "", id: "note", messages: [...masked, conversation[2]!] });
    expect(checkRequest(turn!, "fake/m", request, createScrubber(["s3cret-value"]))).toBeNull();
    expect(checkRequest(turn!, "fake/m", request, noSecrets)?.what).toBe("prompt");
  });
});

describe("comparing a run with its replay", () => {
  const recorded: Recording = {
    workflow: "w",
    input: {},
    steps: [
      { run: "", id: "a", status: "complete", output: { x: 1 } },
      { run: "", id: "b", status: "complete", output: { y: 1 } },
      { run: "", id: "c", status: "complete", output: { token: REDACTED } },
    ],
  };

  it("reports only the steps whose output or status changed, secrets masked", () => {
    const replayed: Recording = {
      ...recorded,
      steps: [
        { run: "", id: "a", status: "complete", output: { x: 1 } },
        { run: "", id: "b", status: "complete", output: { y: 2 } },
        { run: "", id: "c", status: "complete", output: { token: "local-secret" } },
      ],
    };
    const result = compareRuns(recorded, replayed, new Map(), createScrubber(["local-secret"]));
    expect(result.map((c) => [c.step, c.changed])).toEqual([
      ["a", false],
      ["b", true],
      ["c", false],
    ]);
    expect(result[1]!.reasons).toEqual(["output differs:", "  y: expected 1, got 2"]);
  });

  it("reports a refused request as the step's change, and the steps that did not run", () => {
    const replayed: Recording = { ...recorded, steps: [{ run: "", id: "a", status: "failed", error: "replay: …" }] };
    const result = compareRuns(recorded, replayed, new Map([["a", { what: "model" as const, detail: "x" }]]), noSecrets);
    expect(result.map((c) => c.reasons[0])).toEqual([
      "the model no longer matches the recording: x",
      "did not run (recorded: complete)",
      "did not run (recorded: complete)",
    ]);
  });
});

describe("test cases", () => {
  it("a saved recording asserts its status and every root step's output", () => {
    const saved = caseFromRecording({
      workflow: "w",
      input: { a: 1 },
      run_id: "run_1",
      status: "complete",
      steps: [
        { run: "", id: "s", output: { v: 1 } },
        { run: "sub", id: "t", output: {} },
      ],
    });
    expect(saved.assert).toEqual([
      { expect: "status", equals: "complete" },
      { expect: 'steps."s"', equals: { v: 1 } },
    ]);
  });

  it("assertions hold or fail with a readable diff; schemas say which path is wrong", () => {
    const result = resultDocument({
      workflow: "w",
      input: {},
      status: "complete",
      steps: [{ run: "", id: "s", status: "complete", output: { v: 1, name: "x" } }],
    });
    expect(checkAssertion({ expect: "output.v", equals: 1 }, result)).toEqual([]);
    expect(checkAssertion({ expect: 'steps."s"', equals: { v: 2, name: "x" } }, result)).toEqual(['steps."s" is not as expected:', "  v: expected 2, got 1"]);
    expect(checkAssertion({ expect: "output", schema: { type: "object", properties: { name: { type: "integer" } } } }, result)).toEqual([
      'output does not conform to its schema (value: {"v":1,"name":"x"}):',
      "  /name must be integer",
    ]);
    expect(checkAssertion({ expect: "output.[", equals: 1 }, result)[0]).toMatch(/^output\.\[: /);
  });

  it("refuses a case without a workflow or with an assertion that checks nothing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ktsu-case-"));
    try {
      writeFileSync(path.join(dir, "a.yaml"), "input: {}\n");
      expect(() => parseCase(path.join(dir, "a.yaml"))).toThrow(CaseError);
      writeFileSync(path.join(dir, "b.json"), JSON.stringify({ workflow: "w", assert: [{ expect: "status" }] }));
      expect(() => parseCase(path.join(dir, "b.json"))).toThrow(/assert\[0\] needs "equals" or "schema"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("jsonDiff lists every differing leaf", () => {
    expect(jsonDiff({ a: [1, 2], b: { c: "x" } }, { a: [1, 3], b: {} })).toEqual(["a[1]: expected 2, got 3", 'b.c: expected "x", got (absent)']);
  });
});

describe("a changed prompt deep in a long message", () => {
  it("is shown from a little before where it differs", () => {
    const long = `${"Background. ".repeat(20)}Answer in English.`;
    const [turn] = turnsOf({
      run: "",
      id: "s",
      messages: [
        { role: "system", content: long },
        { role: "assistant", content: "{}" },
      ],
    });
    const mismatch = checkRequest(
      turn!,
      undefined,
      { model: "p/m", messages: [{ role: "system", content: long.replace("English", "French") }], tools: [] },
      noSecrets,
    );
    expect(mismatch?.detail).toBe('system message 1 was "…ckground. Answer in English.", is "…ckground. Answer in French."');
  });
});
