// The OTLP route: exports are dropped without an endpoint, and a refusal by the endpoint is
// answered without the configured headers (an API key) anywhere in the reply.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createGatewayApp } from "../../../workers/gateway/src/app.ts";
import { gatewayEnv } from "./helpers.ts";

const KEY = "otlp-api-key-7c1d";
const body = JSON.stringify({ resourceSpans: [] });
const post = () => new Request("https://gateway/otlp/v1/traces", { method: "POST", headers: { "content-type": "application/json" }, body });

describe("POST /otlp/v1/traces", () => {
  it("answers 204 and sends nothing when no endpoint is configured", async () => {
    const app = createGatewayApp({ gateway: null });
    const res = await app.fetch(post(), { ...env }, createExecutionContext());
    expect(res.status).toBe(204);
  });

  it("answers 502 when the endpoint refuses, naming neither its headers nor its path", async () => {
    const app = createGatewayApp({ gateway: null });
    // The fake provider has no /v1/traces route: it refuses the export.
    const endpoint = `${gatewayEnv.FAKE_PROVIDER_URL}/collector-${KEY}`;
    const res = await app.fetch(
      post(),
      { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${KEY}` },
      createExecutionContext(),
    );
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain(KEY);
  });
});
