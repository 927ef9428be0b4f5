// The workers_ai provider against a local Worker bound as the gateway's AI binding
// (test/workers/support/workers-ai): Workers AI has no local simulation.
import { env } from "cloudflare:test";
import { project } from "ktsu-project";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { WorkersAiCall, WorkersAiReply } from "../support/workers-ai/index.ts";
import { createGatewayApp } from "../../../workers/gateway/src/app.ts";
import { budget, expectNoSecretsLeaked, gatewayEnv, invoke, invokeBody, runId } from "./helpers.ts";

interface WorkersAiStandIn {
  script(replies: WorkersAiReply[]): Promise<void>;
  calls(): Promise<WorkersAiCall[]>;
  reset(): Promise<void>;
}
const ai = (env as unknown as { AI: WorkersAiStandIn }).AI;

const MODEL = "@cf/meta/llama-3.1-8b-instruct";
const ENTRY = `cfai/${MODEL}`;
/** gateway.yaml prices it at 25608 / 75147 neurons per million tokens, at $0.011 per 1,000 neurons. */
const usdFor = (input: number, output: number) => ((input * 25608 + output * 75147) / 1e6) * (0.011 / 1000);

beforeEach(() => ai.reset());
afterAll(expectNoSecretsLeaked);

const TOOL = { name: "lookup", description: "Looks a word up", input_schema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } };

describe("Workers AI through the AI binding", () => {
  it("runs the bare model with messages, max_tokens and temperature, and prices the reply from its neuron rate", async () => {
    await ai.script([{ output: { response: "Bonjour.", tool_calls: [], usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 } } }]);
    const reply = await invoke(invokeBody({ group: "workers-ai", temperature: 0.3 }));

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ content: "Bonjour.", model_resolved: ENTRY, tokens_in: 1000, tokens_out: 200 });
    expect(reply.body.tool_calls).toBeUndefined();
    expect(reply.body.cost_usd).toBeCloseTo(usdFor(1000, 200), 12);
    expect(reply.body.cost_usd).toBeCloseTo(0.0004470114, 12);

    const calls = await ai.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual({
      model: MODEL,
      inputs: {
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "Say hello." },
        ],
        max_tokens: 64,
        temperature: 0.3,
      },
      options: {},
    });
  });

  it("sends tools and the tool-call history in Chat Completions form, and reads both tool-call shapes back", async () => {
    await ai.script([
      {
        output: {
          response: "",
          tool_calls: [
            { id: "chatcmpl-tool-7", type: "function", function: { name: "lookup", arguments: '{"q":"c"}' } },
            { name: "lookup", arguments: { q: "d" } },
          ],
          usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
        },
      },
    ]);
    const messages = [
      { role: "user", content: "Look up a." },
      { role: "assistant", content: "", tool_calls: [{ id: "call_a", name: "lookup", arguments: { q: "a" } }] },
      { role: "tool", tool_call_id: "call_a", content: "A is the first letter" },
    ];
    const reply = await invoke(invokeBody({ group: "workers-ai", messages: messages as never, tools: [TOOL] }));

    expect(reply.status).toBe(200);
    expect(reply.body.content).toBe("");
    expect(reply.body.tool_calls).toEqual([
      { id: "chatcmpl-tool-7", name: "lookup", arguments: { q: "c" } },
      { id: "call_1", name: "lookup", arguments: { q: "d" } },
    ]);
    const [call] = await ai.calls();
    expect(call?.inputs.messages).toEqual([
      { role: "user", content: "Look up a." },
      { role: "assistant", content: "", tool_calls: [{ id: "call_a", type: "function", function: { name: "lookup", arguments: '{"q":"a"}' } }] },
      { role: "tool", content: "A is the first letter", tool_call_id: "call_a" },
    ]);
    expect(call?.inputs.tools).toEqual([{ type: "function", function: { name: "lookup", description: TOOL.description, parameters: TOOL.input_schema } }]);
  });

  it("charges a budgeted run the neuron price of each call", async () => {
    const run = runId("wai");
    await ai.script([{ output: { response: "ok", usage: { prompt_tokens: 5, completion_tokens: 40, total_tokens: 45 } } }]);
    const reply = await invoke(invokeBody({ group: "workers-ai", run_id: run, cost_budget_usd: 1 }));
    expect(reply.status).toBe(200);
    const report = await budget(run);
    expect(report.spent_usd).toBeCloseTo(usdFor(5, 40), 12);
  });

  it("routes through AI Gateway when the provider names one, with the run and step ids as its metadata", async () => {
    const run = runId("wai-aig");
    const reply = await invoke(invokeBody({ group: "workers-ai-gateway", run_id: run, step_id: "draft" }));
    expect(reply.status).toBe(200);
    expect(reply.body.content).toBe("Hello from Workers AI.");
    const [call] = await ai.calls();
    expect(call?.model).toBe("@cf/meta/llama-3.3-70b-instruct-fp8-fast");
    expect(call?.options).toEqual({ gateway: { id: "ktsu-test", metadata: { run_id: run, step_id: "draft" } } });
  });
});

describe("Workers AI errors", () => {
  it("retries a capacity error (3040) and then answers", async () => {
    await ai.script([{ error: "3040: Capacity temporarily exceeded, please try again." }]);
    const reply = await invoke(invokeBody({ group: "workers-ai" }));
    expect(reply.status).toBe(200);
    expect(await ai.calls()).toHaveLength(2);
  });

  it("does not retry an unknown model (5007)", async () => {
    await ai.script([{ error: "5007: No such model @cf/meta/llama-3.1-8b-instruct or task" }]);
    const reply = await invoke(invokeBody({ group: "workers-ai" }));
    expect(reply.status).toBe(502);
    expect(reply.body).toEqual({
      error: "provider_error",
      message: `${ENTRY}: workers ai returned an error: 5007: No such model @cf/meta/llama-3.1-8b-instruct or task`,
      retryable: false,
    });
    expect(await ai.calls()).toHaveLength(1);
  });

  it("reports a used-up neuron allocation (3036) as budget_exceeded", async () => {
    await ai.script([{ error: "3036: You have used up your daily free allocation of 10,000 neurons." }]);
    const reply = await invoke(invokeBody({ group: "workers-ai" }));
    expect(reply.status).toBe(402);
    expect(reply.body.error).toBe("budget_exceeded");
    expect(reply.body.retryable).toBe(false);
  });

  it("refuses a reply with neither text nor tool calls", async () => {
    await ai.script([{ output: { response: "", usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 } } }]);
    const reply = await invoke(invokeBody({ group: "workers-ai" }));
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: "internal_error", message: "workers_ai provider: empty response and no tool calls", retryable: false });
  });

  it("without the AI binding (the local stack) fails the call clearly, naming the provider", async () => {
    const { AI: _absent, ...withoutAi } = gatewayEnv;
    const app = createGatewayApp({ gateway: project.gateway });
    const reply = await invoke(invokeBody({ group: "workers-ai" }), async (req) => app.fetch(req, withoutAi));
    expect(reply.status).toBe(500);
    expect(reply.body.error).toBe("invalid_model_config");
    expect(reply.body.retryable).toBe(false);
    expect(reply.body.message).toBe(
      'provider "cfai": Workers AI needs the gateway\'s AI binding, which only Cloudflare provides (no local simulation): deploy the project with ktsu deploy',
    );
    expect(await ai.calls()).toHaveLength(0);
  });
});
