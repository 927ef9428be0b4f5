// Model groups (round robin, cost_optimized, fallback), retries, temperature,
// and configuration resolution from the Worker's env.
import { project } from "ktsu-project";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { CompiledGateway } from "../../../shared/config/types.ts";
import { createGatewayApp } from "../../../workers/gateway/src/app.ts";
import { expectNoSecretsLeaked, fakeCalls, gatewayEnv, invoke, invokeBody, request, resetFake, script } from "./helpers.ts";

beforeEach(resetFake);
afterAll(expectNoSecretsLeaked);

const modelsCalled = async () => (await fakeCalls()).map((c) => (c.body as { model: string }).model);

describe("round_robin", () => {
  it("walks the group's models in order, one per request, wrapping around", async () => {
    const resolved: string[] = [];
    for (let i = 0; i < 4; i++) resolved.push((await invoke(invokeBody({ group: "rotation" }))).body.model_resolved);
    const models = ["fake/model-a", "fake/model-b", "fake/model-c"];
    const start = models.indexOf(resolved[0] as string);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(resolved).toEqual([0, 1, 2, 3].map((i) => models[(start + i) % 3]));
    expect(await modelsCalled()).toEqual(resolved.map((m) => m.slice("fake/".length)));
  });

  it("sends the group's default_temperature unless the request sets one (0 included)", async () => {
    await invoke(invokeBody({ group: "rotation" }));
    await invoke(invokeBody({ group: "rotation", temperature: 0 }));
    await invoke(invokeBody({ group: "default" }));
    expect((await fakeCalls()).map((c) => (c.body as { temperature: number }).temperature)).toEqual([0.7, 0, 0]);
  });

  it("falls back to the next model in the rotation after a retryable error", async () => {
    await script({ status: 503, error: { message: "down" } });
    const reply = await invoke(invokeBody({ group: "rotation" }));
    expect(reply.status).toBe(200);
    const [first, second] = await modelsCalled();
    const next = { "model-a": "model-b", "model-b": "model-c", "model-c": "model-a" } as Record<string, string>;
    expect(second).toBe(next[first as string]);
    expect(reply.body.model_resolved).toBe(`fake/${second}`);
  });
});

describe("cost_optimized", () => {
  it("picks the cheapest model, configured prices first", async () => {
    await script({ usage: { input_tokens: 1000, output_tokens: 1000 } });
    const reply = await invoke(invokeBody({ group: "cheapest" }));
    expect(reply.body).toMatchObject({ model_resolved: "claude/claude-3-haiku-20240307", cost_usd: 0.00015 });
    const [call] = await fakeCalls();
    expect(call?.path).toBe("/v1/messages");
  });

  it("picks the cheapest model from the built-in table", async () => {
    const reply = await invoke(invokeBody({ group: "cheapest-builtin" }));
    expect(reply.body.model_resolved).toBe("fake/gpt-3.5-turbo");
  });

  it("falls back to the next cheapest, and puts unpriced models last", async () => {
    await script({ status: 503, error: { message: "down" } }, { status: 500, error: { message: "down" } }, { status: 500, error: { message: "down" } });
    const reply = await invoke(invokeBody({ group: "cheapest" }));
    expect(reply.status).toBe(502);
    expect(await modelsCalled()).toEqual(["claude-3-haiku-20240307", "gpt-4o-mini", "claude-3-opus-20240229"]);
  });
});

describe("fallback and retries", () => {
  it("falls back from Anthropic to OpenAI after a 503", async () => {
    await script({ status: 503, error: { message: "overloaded" } }, { text: "from openai" });
    const reply = await invoke(invokeBody({ group: "failover" }));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ content: "from openai", model_resolved: "fake/gpt-4o-mini" });
    expect((await fakeCalls()).map((c) => c.api)).toEqual(["anthropic", "openai"]);
  });

  it("does not fall back on a non-retryable error", async () => {
    await script({ status: 400, error: { message: "bad request" } });
    const reply = await invoke(invokeBody({ group: "failover" }));
    expect(reply.status).toBe(502);
    expect(reply.body.retryable).toBe(false);
    expect(await fakeCalls()).toHaveLength(1);
  });

  it("waits for retry-after (seconds) before retrying a rate-limited model", async () => {
    await script({ status: 429, headers: { "retry-after": "1" }, error: { message: "slow down" } }, { text: "done" });
    const started = Date.now();
    const reply = await invoke(invokeBody({ group: "openai" }));
    const elapsed = Date.now() - started;
    expect(reply.status).toBe(200);
    expect(reply.body.content).toBe("done");
    expect(await fakeCalls()).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(950); // the backoff alone would be ~10 ms
  });

  it("waits for retry-after given as an HTTP date", async () => {
    const at = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000); // a whole second, at least 1.5 s away
    await script({ status: 503, headers: { "retry-after": at.toUTCString() }, error: { message: "maintenance" } }, { text: "back" });
    const reply = await invoke(invokeBody({ group: "anthropic" }));
    expect(reply.status).toBe(200);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 50);
  });

  it("gives up at once when retry-after is longer than the gateway may wait", async () => {
    await script({ status: 429, headers: { "retry-after": "60" }, error: { message: "come back later" } });
    const started = Date.now();
    const reply = await invoke(invokeBody({ group: "openai" }));
    expect(reply.status).toBe(502);
    expect(reply.body).toMatchObject({ error: "provider_error", retryable: true });
    expect(await fakeCalls()).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(60_000); // it did not sit out the provider's retry-after
  });

  it("times out a provider that never answers", async () => {
    await script({ hang: true });
    const app = createGatewayApp({ gateway: project.gateway });
    const env = { ...gatewayEnv, KTSU_GATEWAY_PROVIDER_TIMEOUT_MS: "300", KTSU_GATEWAY_MAX_ATTEMPTS: "1" };
    const reply = await invoke(invokeBody({ group: "openai" }), async (req) => app.fetch(req, env));
    expect(reply.status).toBe(502);
    expect(reply.body).toEqual({ error: "provider_error", message: "fake/gpt-4o-mini: http request timed out after 300 ms", retryable: true });
  });
});

/** A gateway config built in the test, for what `ktsu validate` would refuse to bundle. */
function gatewayWith(overrides: Partial<CompiledGateway>): CompiledGateway {
  return {
    path: "gateway.yaml",
    env: [
      { name: "FAKE_PROVIDER_URL", secret: false },
      { name: "FAKE_API_KEY", secret: true },
    ],
    providers: [{ name: "fake", type: "openai", config: { base_url: "{{ env.FAKE_PROVIDER_URL }}/v1", api_key: "{{env.FAKE_API_KEY}}" } }],
    model_groups: [{ name: "g", models: ["fake/m"], strategy: "round_robin", default_temperature: 0, pricing: [] }],
    ...overrides,
  };
}

function appFetcher(gateway: CompiledGateway | null, env: Record<string, unknown> = gatewayEnv) {
  const app = createGatewayApp({ gateway });
  return async (req: Request) => app.fetch(req, env);
}

describe("configuration", () => {
  it.each([
    { name: "no gateway config", gateway: null, env: {}, message: "gateway init: GatewayConfig is required" },
    {
      name: "a required variable that is not set",
      gateway: gatewayWith({
        env: [
          { name: "FAKE_PROVIDER_URL", secret: false },
          { name: "MISSING_KEY", secret: true },
        ],
      }),
      env: {},
      message: 'resolve env: env var "MISSING_KEY" is required but not set',
    },
    {
      name: "a placeholder for an undeclared variable",
      gateway: gatewayWith({
        providers: [{ name: "fake", type: "openai", config: { base_url: "{{ env.FAKE_PROVIDER_URL }}", api_key: "{{ env.A }}-{{ env.B }}" } }],
      }),
      env: {},
      message: 'provider "fake": config key "api_key": env var(s) [A B] referenced but not declared in env: section',
    },
    {
      name: "a key set to the empty string (set, so the default is not used)",
      gateway: gatewayWith({
        env: [
          { name: "FAKE_PROVIDER_URL", secret: false },
          { name: "FAKE_API_KEY", secret: true, default: "unused" },
        ],
      }),
      env: { FAKE_API_KEY: "" },
      message: 'build providers: provider "fake": missing api_key',
    },
    {
      name: "an openai provider without base_url",
      gateway: gatewayWith({ providers: [{ name: "fake", type: "openai", config: { api_key: "{{ env.FAKE_API_KEY }}" } }] }),
      env: {},
      message: 'build providers: provider "fake": missing base_url',
    },
    {
      name: "an unknown provider type",
      gateway: gatewayWith({ providers: [{ name: "fake", type: "gemini" as "openai", config: { api_key: "{{ env.FAKE_API_KEY }}" } }] }),
      env: {},
      message: 'build providers: provider "fake": unknown provider type "gemini"',
    },
  ])("$name: /invoke answers 500 with the boot error, /config/check lists it, /health stays ok", async ({ gateway, env, message }) => {
    const fetcher = appFetcher(gateway, { ...gatewayEnv, ...env });
    const reply = await invoke(invokeBody({ group: "g" }), fetcher);
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: "internal_error", message, retryable: false });
    const check = await request<{ status: string; errors: string[] }>("/config/check", undefined, fetcher);
    expect(check.status).toBe(500);
    expect(check.body).toEqual({ status: "error", errors: [message] });
    expect((await request("/health", undefined, fetcher)).status).toBe(200);
  });

  it("uses a declared default when the variable is not bound", async () => {
    const gateway = gatewayWith({
      env: [
        { name: "FAKE_PROVIDER_URL", secret: false },
        { name: "UNBOUND_KEY", secret: true, default: "default-key-5a1" },
      ],
    });
    gateway.providers[0]!.config.api_key = "{{ env.UNBOUND_KEY }}";
    const reply = await invoke(invokeBody({ group: "g" }), appFetcher(gateway));
    expect(reply.status).toBe(200);
    const [call] = await fakeCalls();
    expect(call?.headers.authorization).toBe("Bearer default-key-5a1");
  });

  it.each([
    { name: "an empty group", models: [], status: 503, error: "no_models_available", message: 'no models configured in group "g"' },
    {
      name: "a model without a provider",
      models: ["m"],
      status: 500,
      error: "invalid_model_config",
      message: 'invalid model entry "m": expected provider/model',
    },
    { name: "an unknown provider", models: ["ghost/m"], status: 500, error: "provider_not_registered", message: 'provider "ghost" not registered' },
  ])("$name → $status $error", async ({ models, status, error, message }) => {
    const gateway = gatewayWith({ model_groups: [{ name: "g", models, strategy: "round_robin", default_temperature: 0, pricing: [] }] });
    const reply = await invoke(invokeBody({ group: "g" }), appFetcher(gateway));
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error, message, retryable: false });
    expect(await fakeCalls()).toHaveLength(0);
  });

  it("splits the model at the first slash and reports transport failures as retryable", async () => {
    const gateway = gatewayWith({
      env: [{ name: "FAKE_API_KEY", secret: true }],
      providers: [{ name: "ollama", type: "openai", config: { base_url: "http://127.0.0.1:9/v1", api_key: "{{ env.FAKE_API_KEY }}" } }],
      model_groups: [{ name: "g", models: ["ollama/qwen2.5:0.5b"], strategy: "round_robin", default_temperature: 0, pricing: [] }],
    });
    const reply = await invoke(invokeBody({ group: "g" }), appFetcher(gateway, { ...gatewayEnv, KTSU_GATEWAY_MAX_ATTEMPTS: "1" }));
    expect(reply.status).toBe(502);
    expect(reply.body.error).toBe("provider_error");
    expect(reply.body.retryable).toBe(true);
    expect(reply.body.message).toMatch(/^ollama\/qwen2\.5:0\.5b: http request failed: /);
  });
});
