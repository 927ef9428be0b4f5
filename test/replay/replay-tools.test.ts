// `ktsu replay` of runs with MCP tool calls (kv-notes: the kv server's results come from the
// recorded conversation) and with a fanout (research: each item's LLM call by its item id).
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { runKtsu } from "../support/ktsu-cli.ts";
import { type RecordedRun, recordRun as record } from "../support/recorded-run.ts";

let running: RecordedRun | undefined;

afterEach(async () => {
  await running?.dispose();
  running = undefined;
});

/** Records one run of an example; returns its id and the orchestrator URL. */
async function recordRun(example: string, workflow: string, input: Record<string, unknown>): Promise<{ runId: string; url: string }> {
  running = await record(path.join(REPO_ROOT, "examples", example), workflow, input);
  return running;
}

function replay(runId: string, example: string, url: string) {
  return runKtsu(["replay", runId, "--project", path.join("examples", example), "--orchestrator", url], { NO_COLOR: "1" });
}

describe("ktsu replay with tools and fanouts", () => {
  it("answers the kv server's tool calls from the recorded conversation", async () => {
    const { runId, url } = await recordRun("kv-notes", "remember", { topic: "coffee", fact: "Ethiopian, light roast" });
    const calls = running!.fake.calls.length;
    const result = await replay(runId, "kv-notes", url);
    expect(result.stdout).toMatch(/^ {2}note\s+same$/m);
    expect(result.stdout).toContain("nothing changed");
    expect(result.code).toBe(0);
    expect(running!.fake.calls.length).toBe(calls);
  }, 300_000);

  it("answers each fanout item's LLM call by its item id", async () => {
    const { runId, url } = await recordRun("fanout", "research", { topics: ["tides", "rainbows", "tides"] });
    const result = await replay(runId, "fanout", url);
    expect(result.stdout).toContain("nothing changed");
    expect(result.code).toBe(0);
  }, 300_000);
});
