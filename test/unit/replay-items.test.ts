// Replaying fanout items from their call records: the request fingerprint, what a record keeps,
// turns and tool results from an item's calls, the checks against a fingerprint, old
// recordings answered from outputs, and how items show in the report.
import { describe, expect, it } from "vitest";
import type { ChatMessage, StepCall } from "../../shared/contracts/runtime.ts";
import { holdsReplayContent, withoutFinalReply, withoutReplayContent } from "../../shared/replay/call-record.ts";
import { promptFingerprint } from "../../shared/replay/fingerprint.ts";
import { createScrubber } from "../../shared/secrets/scrub.ts";
import { compareRuns } from "../../cli/src/replay/compare.ts";
import { recordedStep, recordedToolNames, recordedToolResult, turnsOf } from "../../cli/src/replay/conversation.ts";
import type { RecordedStep, Recording } from "../../cli/src/replay/recording.ts";
import { checkRequest, type RequestMismatch } from "../../cli/src/replay/request-check.ts";

const sent: ChatMessage[] = [
  { role: "system", content: "You keep notes." },
  { role: "user", content: "Remember tea" },
];
const noSecrets = createScrubber([]);
const times = { started_at: "2026-01-01T00:00:00.000Z", ended_at: "2026-01-01T00:00:01.000Z" };

describe("request fingerprints", () => {
  it("are short, stable, and ignore object key order in tool arguments", () => {
    const a: ChatMessage[] = [...sent, { role: "assistant", content: "", tool_calls: [{ id: "c1", name: "set", arguments: { key: "tea", value: 1 } }] }];
    const b: ChatMessage[] = [...sent, { role: "assistant", content: "", tool_calls: [{ id: "c1", name: "set", arguments: { value: 1, key: "tea" } }] }];
    expect(promptFingerprint(a)).toMatch(/^[0-9a-f]{14}$/);
    expect(promptFingerprint(a)).toBe(promptFingerprint(b));
  });

  it("change with any text, role, tool call or answered call id", () => {
    const base = promptFingerprint(sent);
    expect(promptFingerprint([sent[0]!, { role: "user", content: "Remember coffee" }])).not.toBe(base);
    expect(promptFingerprint([sent[0]!, { role: "system", content: "Remember tea" }])).not.toBe(base);
    expect(promptFingerprint([...sent, { role: "tool", content: "ok", tool_call_id: "c1" }])).not.toBe(
      promptFingerprint([...sent, { role: "tool", content: "ok", tool_call_id: "c2" }]),
    );
    expect(promptFingerprint(sent.slice(0, 1))).not.toBe(base);
  });
});

describe("what an item's call records keep", () => {
  const llm = (reply?: { content: string; tool_calls?: { id: string; name: string; arguments: Record<string, unknown> }[] }): StepCall => ({
    kind: "llm",
    ...times,
    group: "default",
    tokens_in: 1,
    tokens_out: 1,
    cost_usd: 0,
    prompt: "00000000000001",
    ...(reply ? { reply } : {}),
  });

  it("drops a successful item's last reply (its output), not one that asked for tools or gave reserved fields", () => {
    const calls = [llm({ content: "", tool_calls: [{ id: "c1", name: "set", arguments: {} }] }), llm({ content: '{"ok":true}' })];
    const kept = withoutFinalReply(calls, { ok: true });
    expect(kept[0]).toEqual(calls[0]);
    // Reserved fields are stripped from the stored output: the reply that had them is kept.
    expect(withoutFinalReply(calls, { ok: true, ktsu_confidence: 0.9 })).toEqual(calls);
    expect(kept[1]).toEqual(withoutReplayContent(calls[1]!));
    expect((kept[1] as { reply?: unknown }).reply).toBeUndefined();
    expect((kept[1] as { prompt?: string }).prompt).toBe("00000000000001");
    expect(withoutFinalReply([calls[0]!], { ok: true })).toEqual([calls[0]]);
  });

  it("strips replies and tool results for a step that keeps its messages", () => {
    const tool: StepCall = { kind: "tool", ...times, server: "kv", tool: "set", result: "ok" };
    expect(holdsReplayContent([tool])).toBe(true);
    expect(withoutReplayContent(tool)).toEqual({ kind: "tool", ...times, server: "kv", tool: "set" });
    expect(holdsReplayContent([withoutReplayContent(tool), withoutReplayContent(llm({ content: "x" }))])).toBe(false);
  });
});

/** A two-turn item: `set` (a call outside the allowlist first, which never ran), then its output. */
const item: RecordedStep = {
  run: "",
  id: "notes.0",
  item: 0,
  status: "complete",
  output: { key: "tea" },
  calls: [
    {
      kind: "llm",
      model: "fake/m",
      prompt: promptFingerprint(sent),
      reply: {
        content: "",
        tool_calls: [
          { id: "c0", name: "forbidden", arguments: {} },
          { id: "c1", name: "set", arguments: { key: "tea" } },
        ],
      },
    },
    { kind: "tool", tool: "set", result: "stored" },
    { kind: "llm", model: "fake/m", prompt: "ffffffffffffff" },
  ],
};

describe("an item's turns and tool results", () => {
  it("answers each turn from its recorded reply, the last one from the item's output", () => {
    const turns = turnsOf(item);
    expect(turns).toHaveLength(2);
    expect(turns[0]).toMatchObject({ request: null, fingerprint: promptFingerprint(sent), model: "fake/m" });
    expect(turns[0]!.reply!.tool_calls.map((c) => c.name)).toEqual(["forbidden", "set"]);
    expect(turns[1]!.reply).toEqual({ content: '{"key":"tea"}', tool_calls: [] });
    expect(turnsOf({ ...item, status: "failed" })[1]!.reply).toBeNull();
  });

  it("answers its tool calls with the recorded results, matched by name and arguments", () => {
    expect(recordedToolResult([item], "set", { key: "tea" })).toBe("stored");
    expect(recordedToolResult([item], "set", { key: "coffee" })).toBeUndefined();
    expect(recordedToolResult([item], "forbidden", {})).toBeUndefined();
    expect(recordedToolNames([item])).toEqual(["forbidden", "set"]);
  });

  it("is found by its id; an item recorded without fingerprints is answered from its output, unchecked", () => {
    expect(recordedStep([item], "", "notes.0")).toBe(item);
    const old: RecordedStep = { run: "", id: "notes.0", item: 0, status: "complete", output: { key: "tea" }, calls: [{ kind: "llm", model: "fake/m" }] };
    const answered = recordedStep([old], "", "notes.0")!;
    expect(answered.unchecked).toBe(true);
    expect(turnsOf(answered)[0]!.reply!.content).toBe('{"key":"tea"}');
  });
});

describe("checking a replayed item request against its fingerprint", () => {
  const [first] = turnsOf(item);

  it("accepts the recorded request and names the call whose messages changed", () => {
    expect(checkRequest(first!, undefined, { model: "fake/m", messages: sent, tools: ["set", "forbidden"] }, noSecrets)).toBeNull();
    const changed = checkRequest(
      first!,
      undefined,
      { model: "fake/m", messages: [{ role: "system", content: "You keep notes politely." }, sent[1]!], tools: ["set"] },
      noSecrets,
      1,
    );
    expect(changed?.what).toBe("prompt");
    expect(changed?.detail).toMatch(/^call 1: the messages sent differ .*system message 1 "You keep notes politely\."/);
  });

  it("names a changed model per turn, and a recorded tool call no longer offered", () => {
    expect(checkRequest(first!, "other/x", { model: "fake/other", messages: sent, tools: ["set", "forbidden"] }, noSecrets)?.what).toBe("model");
    expect(checkRequest(first!, undefined, { model: "fake/m", messages: sent, tools: ["forbidden"] }, noSecrets)).toEqual({
      what: "tools",
      detail: "the recorded reply calls set, which the request no longer offers",
    });
  });

  it("compares masked secrets: the fingerprint was taken on masked messages", () => {
    const recorded = createScrubber(["recorded-secret"]);
    const secretSent: ChatMessage[] = [{ role: "system", content: "Key recorded-secret." }, sent[1]!];
    const turn = { request: null, fingerprint: promptFingerprint(recorded.value(secretSent)), reply: { content: "{}", tool_calls: [] } };
    const replayed: ChatMessage[] = [{ role: "system", content: "Key replay-secret." }, sent[1]!];
    expect(checkRequest(turn, undefined, { model: "fake/m", messages: replayed, tools: [] }, createScrubber(["replay-secret"]))).toBeNull();
    expect(checkRequest(turn, undefined, { model: "fake/m", messages: replayed, tools: [] }, noSecrets)?.what).toBe("prompt");
  });
});

describe("items in the report", () => {
  const recording: Recording = {
    workflow: "w",
    input: {},
    steps: [{ run: "", id: "notes", status: "complete", output: { results: [] } }, item, { run: "", id: "after", status: "complete", output: {} }],
  };
  const replayed: Recording = { workflow: "w", input: {}, steps: [recording.steps[0]!, recording.steps[2]!] };
  const prompt: RequestMismatch = { what: "prompt", detail: "call 1: differs" };

  it("lists no item of an unchanged fanout, and notes items whose requests could not be checked", () => {
    const result = compareRuns(recording, replayed, new Map(), noSecrets, new Set(["notes.0", "notes.1"]));
    expect(result.map((c) => [c.step, c.changed])).toEqual([
      ["notes", false],
      ["after", false],
    ]);
    expect(result[0]!.notes).toEqual([expect.stringMatching(/^note: 2 item\(s\) answered from their recorded outputs; their requests could not be checked/)]);
  });

  it("lists the items whose requests changed under their step, in index order, the rest counted", () => {
    const mismatches = new Map<string, RequestMismatch>(Array.from({ length: 23 }, (_, i) => [`notes.${22 - i}`, prompt] as const));
    mismatches.set("notesX.1", prompt);
    const result = compareRuns(recording, replayed, mismatches, noSecrets);
    const names = result.map((c) => c.step);
    expect(names.slice(0, 4)).toEqual(["notes", "notes.0", "notes.1", "notes.2"]);
    expect(names).toContain("notes.19");
    expect(names).not.toContain("notes.20");
    const more = result.find((c) => c.step === "notes.*")!;
    expect(more).toEqual({ step: "notes.*", changed: true, reasons: ["3 more item(s) whose requests no longer match the recording"] });
    expect(names.at(-1)).toBe("after");
    expect(result.find((c) => c.step === "notes.0")!.reasons).toEqual(["the prompt no longer matches the recording: call 1: differs"]);
  });
});
