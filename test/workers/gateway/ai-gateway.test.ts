// Anthropic and OpenAI-compatible providers routed through Cloudflare AI Gateway: the
// fake provider stands in for AI Gateway's endpoint and records the path and headers.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { CompiledGateway } from "../../../shared/config/types.ts";
import { createGatewayApp } from "../../../workers/gateway/src/app.ts";
import { expectNoSecretsLeaked, gatewayEnv, invoke, invokeBody, onlyCall, request, resetFake, runId } from "./helpers.ts";

beforeEach(resetFake);
afterAll(expectNoSecretsLeaked);

describe("AI Gateway route", () => {
  it("sends Anthropic calls to <ai_gateway>/anthropic/v1/messages with the gateway token and the run and step ids", async () => {
    const run = runId("aig");
    const reply = await invoke(invokeBody({ group: "anthropic-aig", run_id: run, step_id: "plan" }));
    expect(reply.status).toBe(200);
    expect(reply.body.model_resolved).toBe("claude-aig/claude-sonnet-4-6");

    const call = await onlyCall();
    expect(call.path).toBe("/v1/test-account/test-gateway/anthropic/v1/messages");
    expect(call.headers["x-api-key"]).toBe(gatewayEnv.FAKE_ANTHROPIC_KEY);
    expect(call.headers["cf-aig-authorization"]).toBe(`Bearer ${gatewayEnv.FAKE_AIG_TOKEN}`);
    expect(JSON.parse(call.headers["cf-aig-metadata"] ?? "null")).toEqual({ run_id: run, step_id: "plan" });
    expect(call.body.model).toBe("claude-sonnet-4-6");
  });

  it("sends OpenAI calls to <ai_gateway>/openai/chat/completions; without a token there is no cf-aig-authorization", async () => {
    const run = runId("aig");
    const reply = await invoke(invokeBody({ group: "openai-aig", run_id: run, step_id: "act" }));
    expect(reply.status).toBe(200);

    const call = await onlyCall();
    expect(call.path).toBe("/v1/test-account/test-gateway/openai/chat/completions");
    expect(call.headers.authorization).toBe(`Bearer ${gatewayEnv.FAKE_API_KEY}`);
    expect(call.headers["cf-aig-authorization"]).toBeUndefined();
    expect(JSON.parse(call.headers["cf-aig-metadata"] ?? "null")).toEqual({ run_id: run, step_id: "act" });
  });

  it("adds no AI Gateway headers to a provider called directly", async () => {
    expect((await invoke(invokeBody({ group: "openai" }))).status).toBe(200);
    const call = await onlyCall();
    expect(call.path).toBe("/v1/chat/completions");
    expect(Object.keys(call.headers).filter((h) => h.startsWith("cf-aig-"))).toEqual([]);
  });

  it("uses ai_gateway_provider as the provider segment (an OpenAI-compatible provider AI Gateway knows by another name)", async () => {
    const gateway = aiGatewayConfig({ ai_gateway: "{{ env.FAKE_PROVIDER_URL }}/v1/acct/gw", ai_gateway_provider: "groq" });
    const reply = await invoke(invokeBody({ group: "g" }), appFetcher(gateway));
    expect(reply.status).toBe(200);
    expect((await onlyCall()).path).toBe("/v1/acct/gw/groq/chat/completions");
  });

  it("refuses an ai_gateway that is not a URL at boot, without echoing it", async () => {
    const fetcher = appFetcher(aiGatewayConfig({ ai_gateway: "not a url {{ env.FAKE_API_KEY }}" }));
    const message = 'build providers: provider "routed": ai_gateway is not a valid URL';
    const reply = await invoke(invokeBody({ group: "g" }), fetcher);
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: "internal_error", message, retryable: false });
    const check = await request<{ errors: string[] }>("/config/check", undefined, fetcher);
    expect(check.body.errors).toEqual([message]);
  });
});

function aiGatewayConfig(route: Record<string, string>): CompiledGateway {
  return {
    path: "gateway.yaml",
    env: [
      { name: "FAKE_PROVIDER_URL", secret: false },
      { name: "FAKE_API_KEY", secret: true },
    ],
    providers: [{ name: "routed", type: "openai", config: { api_key: "{{ env.FAKE_API_KEY }}", ...route } }],
    model_groups: [{ name: "g", models: ["routed/m"], strategy: "round_robin", default_temperature: 0, pricing: [] }],
  };
}

function appFetcher(gateway: CompiledGateway) {
  const app = createGatewayApp({ gateway });
  return async (req: Request) => app.fetch(req, gatewayEnv);
}
