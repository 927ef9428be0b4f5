// Helpers for the runtime tests: the runtime is SELF; the fake provider is scripted over
// its HTTP control API; the recording orchestrator reports what the runtime sent it.
import { env, SELF } from "cloudflare:test";
import { expect } from "vitest";
import type { CallbackPayload, CheckpointPayload, HeartbeatPayload, InvokeRequest, ToolServerSpec } from "../../../shared/contracts/runtime.ts";
import { callbackPath } from "../../../shared/contracts/runtime.ts";
import type { CompleteAnswer, CompleteManyOptions } from "../../../shared/contracts/service-rpc.ts";
import type { FakeReply, RecordedCall } from "../../fake-provider/types.ts";

export async function scriptProvider(...replies: FakeReply[]): Promise<void> {
  const res = await fetch(`${env.FAKE_PROVIDER_URL}/__fake/script`, { method: "POST", body: JSON.stringify({ replies }) });
  expect(res.status).toBe(200);
}

export async function resetProvider(): Promise<void> {
  await fetch(`${env.FAKE_PROVIDER_URL}/__fake/reset`, { method: "POST", body: "{}" });
}

/** The OpenAI Chat Completions requests the gateway sent to the fake provider. */
export async function providerCalls(): Promise<Array<RecordedCall & { body: OpenAiBody }>> {
  const res = await fetch(`${env.FAKE_PROVIDER_URL}/__fake/calls`);
  return ((await res.json()) as { calls: Array<RecordedCall & { body: OpenAiBody }> }).calls;
}

export interface OpenAiBody {
  messages: Array<{
    role: string;
    content?: unknown;
    tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
    tool_call_id?: string;
  }>;
  tools?: Array<{ type: string; function: { name: string } }>;
}

let counter = 0;
/** A fresh run id per test, so records never mix. */
export function newRunId(label: string): string {
  return `run_${label}_${Date.now().toString(36)}_${++counter}`;
}

export const OUTPUT_SCHEMA = {
  type: "object",
  required: ["answer"],
  properties: { answer: { type: "string" } },
};

export function kvServer(overrides: Partial<ToolServerSpec> = {}): ToolServerSpec {
  return { name: "kv", url: "ktsu://tools/kv", allowlist: ["*"], ...overrides };
}

/** Item `index` of fanout step `fan`, sent to the host `fan#0` its items share, as the orchestrator sends a wide fanout's items. */
export function fanoutItemRequest(runId: string, index: number): InvokeRequest {
  return invokeRequest(runId, {
    step_id: `fan.${index}`,
    host_key: "fan#0",
    attempt: 1,
    callback_url: `/runs/${encodeURIComponent(runId)}/steps/fan.${index}/complete`,
  });
}

export function invokeRequest(runId: string, overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  const stepId = overrides.step_id ?? "agent";
  return {
    run_id: runId,
    step_id: stepId,
    agent_name: "tester",
    system: "You are a test agent.",
    user_message: "Do the thing.",
    max_turns: 5,
    model: { group: "default", max_tokens: 256 },
    tool_servers: [],
    callback_url: callbackPath(runId, stepId),
    output_schema: OUTPUT_SCHEMA,
    attempt: 1,
    ...overrides,
  };
}

export async function invoke(body: unknown): Promise<Response> {
  return SELF.fetch("https://runtime/invoke", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

interface RecordedRequest {
  kind: "heartbeat" | "checkpoint" | "callback";
  run_ids: string[];
  step_id?: string;
  /** A result reported with others (`completeMany`): the step ids of that report, and what it asked for. */
  reported_with?: string[];
  report_options?: CompleteManyOptions;
  at: number;
  body: unknown;
}

export async function records(runId: string): Promise<RecordedRequest[]> {
  const res = await env.ORCHESTRATOR.fetch(`https://orchestrator/__records?run_id=${encodeURIComponent(runId)}`);
  return ((await res.json()) as { records: RecordedRequest[] }).records;
}

/** The recording orchestrator answers the run's next report over RPC at once with `answer` (items handed to the host). */
export async function scriptHandoff(runId: string, answer: CompleteAnswer): Promise<void> {
  const res = await env.ORCHESTRATOR.fetch(`https://orchestrator/__handoff?run_id=${encodeURIComponent(runId)}`, {
    method: "PUT",
    body: JSON.stringify(answer),
  });
  expect(res.status).toBe(200);
}

/** The recording orchestrator answers the run's reports only after `holdReports(runId, false)`. */
export async function holdReports(runId: string, held: boolean): Promise<void> {
  const res = await env.ORCHESTRATOR.fetch(`https://orchestrator/${held ? "__hold" : "__release"}?run_id=${encodeURIComponent(runId)}`, { method: "PUT" });
  expect(res.status).toBe(200);
}

export async function heartbeats(runId: string): Promise<Array<HeartbeatPayload & { at: number }>> {
  return (await records(runId)).filter((r) => r.kind === "heartbeat").map((r) => ({ ...(r.body as HeartbeatPayload), at: r.at }));
}

export async function checkpoints(runId: string): Promise<CheckpointPayload[]> {
  return (await records(runId)).filter((r) => r.kind === "checkpoint").map((r) => r.body as CheckpointPayload);
}

/** Polls the recording orchestrator until the step's callback arrived. */
export async function callbackFor(runId: string, timeoutMs = 60_000): Promise<CallbackPayload & { at: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await records(runId)).find((r) => r.kind === "callback");
    if (found) return { ...(found.body as CallbackPayload), at: found.at };
    if (Date.now() > deadline) throw new Error(`no callback for ${runId} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Invokes, expects 202, and waits for the callback. */
export async function runAgent(request: InvokeRequest): Promise<CallbackPayload & { at: number }> {
  const res = await invoke(request);
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ run_id: request.run_id, step_id: request.step_id, status: "accepted" });
  return callbackFor(request.run_id);
}

export async function setEnvelope(runId: string, envelope: unknown): Promise<void> {
  await env.ORCHESTRATOR.fetch(`https://orchestrator/__envelope?run_id=${encodeURIComponent(runId)}`, { method: "PUT", body: JSON.stringify(envelope) });
}
