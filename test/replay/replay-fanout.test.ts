// `ktsu replay` of fanout items, matched by step, item and turn: each item's LLM calls are
// checked against the request fingerprints its call records keep and answered from its recorded
// replies (its last reply is its output), its tool calls from its recorded tool results.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { runKtsu } from "../support/ktsu-cli.ts";
import { type RecordedRun, recordRun, verdicts } from "../support/recorded-run.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ktsu-replay-fanout-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of an example the test may change. */
function copyOf(example: string): string {
  const project = path.join(dir, example);
  cpSync(path.join(REPO_ROOT, "examples", example), project, { recursive: true });
  return project;
}

function replay(run: RecordedRun, project: string) {
  return runKtsu(["replay", run.runId, "--project", project, "--orchestrator", run.url], { NO_COLOR: "1" });
}

describe("ktsu replay of fanout items", () => {
  it("replays an unchanged fanout clean and reports each item whose prompt changed", async () => {
    const project = copyOf("fanout");
    const run = await recordRun(project, "research", { topics: ["tides", "rainbows", "tides"] });
    try {
      const calls = run.fake.calls.length;
      const clean = await replay(run, project);
      expect(clean.stderr).toBe("");
      expect(verdicts(clean.stdout)).toEqual({ explain: "same", ranked: "same", topics: "same" });
      expect(clean.stdout).not.toContain("could not be checked");
      expect(clean.stdout).toContain("nothing changed");
      expect(clean.code).toBe(0);
      expect(run.fake.calls.length).toBe(calls);

      const agent = path.join(project, "agents", "explainer.agent.yaml");
      const original = readFileSync(agent, "utf8");
      writeFileSync(agent, original.replace("in one line", "in one short line"));
      const changed = await replay(run, project);
      const v = verdicts(changed.stdout);
      for (const item of ["explain.0", "explain.1", "explain.2"]) expect(v[item]).toBe("changed");
      expect(v.explain).toBe("changed");
      expect(changed.stdout).toMatch(
        /^ {2}explain\.0\s+changed\n {6}the prompt no longer matches the recording: call 1: the messages sent differ from the recorded ones .*in one short line/m,
      );
      expect(changed.code).toBe(1);
      expect(run.fake.calls.length).toBe(calls);
    } finally {
      await run.dispose();
    }
  }, 600_000);

  it("answers a multi-turn item's tool calls and replies from its recorded calls", async () => {
    const project = copyOf("kv-notes");
    writeFileSync(
      path.join(project, "workflows", "remember_many.workflow.yaml"),
      [
        "name: remember_many",
        "params:",
        "  schema:",
        "    type: object",
        "    required: [topics]",
        "    properties:",
        "      topics: { type: array, items: { type: string } }",
        "pipeline:",
        "  - id: notes",
        "    agent: agents/notetaker.agent.yaml",
        "    for_each: { from: params.topics, concurrency: 2 }",
        "    params:",
        '      topic: "{{ item }}"',
        '      fact: "Ethiopian, light roast"',
        "",
      ].join("\n"),
    );
    const run = await recordRun(project, "remember_many", { topics: ["coffee", "tea"] });
    try {
      const calls = run.fake.calls.length;
      const result = await replay(run, project);
      expect(result.stderr).toBe("");
      expect(verdicts(result.stdout)).toEqual({ notes: "same" });
      expect(result.stdout).not.toContain("not in the recording");
      expect(result.stdout).not.toContain("could not be checked");
      expect(result.stdout).toContain("nothing changed");
      expect(result.code).toBe(0);

      // Without `get` offered, each item's first call (the recorded `set`) is still answered, and its
      // second call, whose request carries the recorded `set` result, is where the item stops.
      const agent = path.join(project, "agents", "notetaker.agent.yaml");
      writeFileSync(agent, readFileSync(agent, "utf8").replace("allowlist: [set, get]", "allowlist: [set]"));
      const changed = await replay(run, project);
      const v = verdicts(changed.stdout);
      expect(v["notes.0"]).toBe("changed");
      expect(v["notes.1"]).toBe("changed");
      expect(changed.stdout).toMatch(
        /^ {2}notes\.0\s+changed\n {6}the tools offered no longer match the recording: the recorded reply calls get, which the request no longer offers$/m,
      );
      expect(changed.code).toBe(1);
      expect(run.fake.calls.length).toBe(calls);
    } finally {
      await run.dispose();
    }
  }, 600_000);
});
