// The gateway's credentials (api keys, `secret: true` env values) never leave it: a
// provider error, a retry's log line and a successful reply all carry overlapping and
// short secrets, and the responses and logs show them masked
// (rules: shared/secrets/scrub.ts, docs/secrets.md).
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { CompiledGateway } from "../../../shared/config/types.ts";
import { createGatewayApp } from "../../../workers/gateway/src/app.ts";
import { expectNoSecretsLeaked, fakeCalls, gatewayEnv, invoke, invokeBody, resetFake, script } from "./helpers.ts";

beforeEach(resetFake);
afterAll(expectNoSecretsLeaked);

// The api key "sk-test-openai-7c1d9e44" and a secret env value that starts with its
// tail overlap in "sk-test-openai-7c1d9e44-wxyz-5555": masking one and then the other
// would leave "-wxyz-5555" or "sk-test-openai-".
const OVERLAPPING = "7c1d9e44-wxyz-5555";
// A short secret env value: masked where it stands alone, not inside a longer word.
const SHORT = "zq";
const leaky = () => `key ${gatewayEnv.FAKE_API_KEY}-wxyz-5555, pin ${SHORT}, code x${SHORT}`;
const MASKED = "key [REDACTED], pin [REDACTED], code xzq";

const FRAGMENTS = ["sk-test-openai", "7c1d9e44", "wxyz-5555"];
const STANDALONE_SHORT = /(?<![\p{L}\p{N}\p{M}_])zq(?![\p{L}\p{N}\p{M}_])/u;

const gateway: CompiledGateway = {
  path: "gateway.yaml",
  env: [
    { name: "FAKE_PROVIDER_URL", secret: false },
    { name: "FAKE_API_KEY", secret: true },
    { name: "OVERLAPPING_SECRET", secret: true },
    { name: "SHORT_SECRET", secret: true },
  ],
  providers: [{ name: "fake", type: "openai", config: { base_url: "{{ env.FAKE_PROVIDER_URL }}/v1", api_key: "{{ env.FAKE_API_KEY }}" } }],
  model_groups: [{ name: "g", models: ["fake/m"], strategy: "round_robin", default_temperature: 0, pricing: [] }],
};

const app = createGatewayApp({ gateway });
const env = { ...gatewayEnv, OVERLAPPING_SECRET: OVERLAPPING, SHORT_SECRET: SHORT };
const send = () => invoke(invokeBody({ group: "g" }), async (req) => app.fetch(req, env));

const consoleLines = () => (globalThis as { __gatewayConsole?: string[] }).__gatewayConsole ?? [];

function expectMasked(texts: string[]): void {
  for (const text of texts) {
    for (const fragment of FRAGMENTS) expect(text).not.toContain(fragment);
    expect(text).not.toMatch(STANDALONE_SHORT);
  }
}

describe("overlapping and short credentials", () => {
  it("in a provider error: masked in the error body", async () => {
    await script({ status: 401, error: { message: `rejected ${leaky()}`, code: "invalid_api_key" } });
    const reply = await send();
    expect(reply.status).toBe(502);
    expect(reply.body.message).toBe(`fake/m: upstream returned 401: rejected ${MASKED}`);
    expectMasked([reply.text]);
  });

  it("in a retried error: masked in the log line; in a successful reply: masked in content and tool calls", async () => {
    const logged = consoleLines().length;
    await script(
      { status: 503, error: { message: `overloaded ${leaky()}` } },
      { text: `echo ${leaky()}`, tool_calls: [{ id: "call_1", name: "lookup", arguments: { q: leaky(), n: 7 } }] },
    );
    const reply = await send();
    expect(reply.status).toBe(200);
    expect(await fakeCalls()).toHaveLength(2);
    expect(reply.body).toMatchObject({
      content: `echo ${MASKED}`,
      model_resolved: "fake/m",
      tool_calls: [{ id: "call_1", name: "lookup", arguments: { q: MASKED, n: 7 } }],
    });
    // Keys are structure: a secret never rewrites them.
    expect(Object.keys(reply.body)).toEqual(expect.arrayContaining(["tokens_in", "tokens_out"]));

    const lines = consoleLines().slice(logged);
    expect(lines.some((line) => line.includes(`overloaded ${MASKED}`))).toBe(true);
    expectMasked([reply.text, ...lines]);
  });
});
