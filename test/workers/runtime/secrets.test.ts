// The step's tool credentials never reach the orchestrator: a model reply, a tool
// result, a provider error and an invalid final answer all carry overlapping and
// short secrets, and the callback and checkpoints show them masked
// (rules: shared/secrets/scrub.ts, docs/secrets.md).
import { beforeEach, describe, expect, it } from "vitest";
import { checkpoints, invokeRequest, kvServer, newRunId, records, resetProvider, runAgent, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

// "sekret-abcdef" (the bearer token) and "abcdef-ghijkl" (a secret param) overlap in
// "sekret-abcdef-ghijkl"; masking one and then the other would leave "-ghijkl" or "sekret-".
const AUTH = "Bearer sekret-abcdef";
const TOKEN = "abcdef-ghijkl";
// A short secret param: masked where it stands alone, not inside a longer word.
const PIN = "q7";
const LEAKY = `key sekret-abcdef-ghijkl, auth Bearer sekret-abcdef-ghijkl, pin ${PIN}, code x${PIN} and tokens`;
const MASKED = "key [REDACTED], auth [REDACTED], pin [REDACTED], code xq7 and tokens";

/** Fragments of the long secrets that must appear nowhere. */
const FRAGMENTS = ["sekret", "abcdef", "ghijkl"];
const STANDALONE_PIN = /(?<![\p{L}\p{N}\p{M}_])q7(?![\p{L}\p{N}\p{M}_])/u;

const server = (runId: string) =>
  kvServer({
    persistent_id: `ns-${runId}`,
    auth_header: "X-Api-Key",
    auth_value: AUTH,
    params: { region: "eu", token: TOKEN, pin: PIN },
    secret_keys: ["token", "pin"],
  });

/** Every string inside a value, keys included, so the scan needs no knowledge of JSON escaping. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([key, inner]) => [key, ...strings(inner)]);
  return [];
}

/** Nothing the runtime sent the orchestrator for this run holds a secret that must be masked. */
async function expectNothingLeaked(runId: string): Promise<void> {
  const sent = await records(runId);
  expect(sent.some((r) => r.kind === "callback")).toBe(true);
  for (const text of strings(sent.map((r) => r.body))) {
    for (const fragment of FRAGMENTS) expect(text).not.toContain(fragment);
    expect(text).not.toMatch(STANDALONE_PIN);
  }
}

describe("credentials in what the runtime sends back", () => {
  it("a tool result and the final answer: masked in the output, the messages and every checkpoint", async () => {
    const runId = newRunId("secrets-ok");
    await scriptProvider(
      { text: `Saving ${PIN}.`, tool_calls: [{ id: "call_set", name: "set", arguments: { key: "k", value: LEAKY } }] },
      { tool_calls: [{ id: "call_get", name: "get", arguments: { key: "k" } }] },
      { text: JSON.stringify({ answer: LEAKY }) },
    );
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [server(runId)] }));

    expect(callback).toMatchObject({ status: "ok", output: { answer: MASKED }, metrics: { llm_calls: 3, tool_calls: 2 } });
    // Keys are structure: a secret never rewrites them.
    expect(Object.keys(callback.metrics)).toEqual(expect.arrayContaining(["tokens_in", "tokens_out"]));
    expect(callback.messages!.slice(2)).toEqual([
      { role: "assistant", content: "Saving [REDACTED].", tool_calls: [{ id: "call_set", name: "set", arguments: { key: "k", value: MASKED } }] },
      { role: "tool", tool_call_id: "call_set", content: '{"ok":true}' },
      { role: "assistant", content: "", tool_calls: [{ id: "call_get", name: "get", arguments: { key: "k" } }] },
      // The tool echoed the real value back; it arrives masked.
      { role: "tool", tool_call_id: "call_get", content: JSON.stringify(MASKED) },
      { role: "assistant", content: JSON.stringify({ answer: MASKED }) },
    ]);
    const saved = await checkpoints(runId);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.at(-1)!.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_get", content: JSON.stringify(MASKED) });
    await expectNothingLeaked(runId);
  });

  it("an invalid final answer: masked in raw_output and the messages", async () => {
    const runId = newRunId("secrets-raw");
    await scriptProvider({ text: LEAKY }, { text: `still no JSON, ${PIN}` });
    const callback = await runAgent(invokeRequest(runId, { max_turns: 1, tool_servers: [server(runId)] }));
    expect(callback).toMatchObject({ status: "failed", error: "max_turns_exceeded", raw_output: MASKED });
    expect(callback.messages!.some((m) => m.content === MASKED)).toBe(true);
    await expectNothingLeaked(runId);
  });

  it("a provider error quoting the credentials: masked in the step error", async () => {
    const runId = newRunId("secrets-err");
    await scriptProvider({ status: 400, error: { message: `rejected ${LEAKY}` } });
    const callback = await runAgent(invokeRequest(runId, { tool_servers: [server(runId)] }));
    expect(callback.status).toBe("failed");
    expect(callback.error).toMatch(/^gateway error provider_error: /);
    expect(callback.error).toContain(`rejected ${MASKED}`);
    await expectNothingLeaked(runId);
  });
});
