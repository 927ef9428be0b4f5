// `servers[].persistent_id: "{{ params.chat_id }}"` on the real local stack: the orchestrator
// resolves the template per step, so the first-party kv server (ktsu://tools/kv) keeps one
// namespace per chat. The fake provider is scripted to read and write the same key in each chat.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakeProvider, type RecordedCall } from "../fake-provider/server.ts";
import { Api } from "../reliability/support/api.ts";

const PROJECT = path.join(REPO_ROOT, "test", "fixtures", "chat-kv-project");
const ADMIN = "admin-token-2c7e";

let started: StartedProject;
let fake: FakeProvider;
let api: Api;
let stateDir: string;

beforeAll(async () => {
  fake = await startFakeProvider({ port: 0 });
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-chat-kv-"));
  started = await startLocalProject({
    projectDir: PROJECT,
    stateDir,
    port: 0,
    environment: { KTSU_FAKE_PROVIDER_URL: fake.url, KTSU_ADMIN_TOKEN: ADMIN },
  });
  api = new Api(started.stack.url, ADMIN);
});

afterAll(async () => {
  await started?.stack.dispose();
  await fake?.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** What the kv tool answered to the call `id`, as the model saw it in its next request. */
function toolResult(calls: readonly RecordedCall[], id: string): string | undefined {
  for (const call of calls) {
    const messages = (call.body as { messages?: Array<{ role: string; tool_call_id?: string; content?: unknown }> }).messages ?? [];
    const answer = messages.find((m) => m.role === "tool" && m.tool_call_id === id);
    if (answer) return typeof answer.content === "string" ? answer.content : JSON.stringify(answer.content);
  }
  return undefined;
}

/**
 * One chat message: the model reads the key `last` (its tool result is returned), stores the
 * new text under it, and answers. Runs one at a time, so the scripted replies are its own.
 */
async function message(chatId: string, text: string, tag: string): Promise<string | undefined> {
  fake.reset();
  fake.script(
    { tool_calls: [{ id: `get-${tag}`, name: "get", arguments: { key: "last" } }] },
    { tool_calls: [{ id: `set-${tag}`, name: "set", arguments: { key: "last", value: text } }] },
    { text: JSON.stringify({ reply: `noted: ${text}` }) },
  );
  const view = await api.waitForRun(await api.invoke("chat", { chat_id: chatId, text }), 120_000);
  expect(view.run.status, JSON.stringify(view)).toBe("complete");
  return toolResult(fake.calls, `get-${tag}`);
}

describe('persistent_id: "{{ params.chat_id }}" with the real kv server', () => {
  it("keeps one kv namespace per chat id", async () => {
    // A fresh chat reads nothing; the kv server answers null for a missing key.
    expect(await message("chat-a", "hello from A", "a1")).toBe("null");
    // The other chat does not see chat A's message: another namespace.
    expect(await message("chat-b", "hello from B", "b1")).toBe("null");
    // Each chat reads back its own last message.
    expect(await message("chat-a", "again from A", "a2")).toBe(JSON.stringify("hello from A"));
    expect(await message("chat-b", "again from B", "b2")).toBe(JSON.stringify("hello from B"));
  });
});
