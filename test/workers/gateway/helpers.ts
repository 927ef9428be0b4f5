import { env, SELF } from "cloudflare:test";
import { expect, inject } from "vitest";
import type { BudgetReport, GatewayErrorBody, GatewayInvokeRequest, GatewayInvokeResponse } from "../../../shared/contracts/gateway.ts";
import type { GatewayEnv } from "../../../workers/gateway/src/env.ts";
import type { FakeReply, RecordedCall } from "../../fake-provider/types.ts";

export const gatewayEnv = env as unknown as GatewayEnv & {
  FAKE_API_KEY: string;
  FAKE_ANTHROPIC_KEY: string;
  FAKE_AIG_TOKEN: string;
  FAKE_PROVIDER_URL: string;
};

/** Every body the gateway answered with, for the credential scan. */
const responses: string[] = [];

export function secrets(): string[] {
  return [gatewayEnv.FAKE_API_KEY, gatewayEnv.FAKE_ANTHROPIC_KEY, gatewayEnv.FAKE_AIG_TOKEN];
}

export interface Reply<T> {
  status: number;
  body: T;
  text: string;
}

export async function request<T>(path: string, init?: RequestInit, fetcher: (req: Request) => Promise<Response> = (r) => SELF.fetch(r)): Promise<Reply<T>> {
  const res = await fetcher(new Request(`https://gateway${path}`, init));
  const text = await res.text();
  responses.push(text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T, text };
}

export type InvokeBody = Partial<GatewayInvokeRequest> & Record<string, unknown>;

let counter = 0;
/** A unique run id, so budgets never leak between tests. */
export function runId(label = "run"): string {
  return `${label}_${Date.now().toString(36)}_${++counter}`;
}

export function invokeBody(overrides: InvokeBody = {}): InvokeBody {
  return {
    run_id: runId(),
    step_id: "step",
    group: "default",
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Say hello." },
    ],
    max_tokens: 64,
    ...overrides,
  };
}

export function invoke(body: InvokeBody | string, fetcher?: (req: Request) => Promise<Response>) {
  return request<GatewayInvokeResponse & GatewayErrorBody>(
    "/invoke",
    { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) },
    fetcher,
  );
}

export async function budget(run: string): Promise<BudgetReport> {
  const reply = await request<BudgetReport>(`/budget/${encodeURIComponent(run)}`);
  expect(reply.status).toBe(200);
  return reply.body;
}

// The fake provider's control API.
const fakeUrl = () => inject("fakeProviderUrl");

export async function script(...replies: FakeReply[]): Promise<void> {
  const res = await fetch(`${fakeUrl()}/__fake/script`, { method: "POST", body: JSON.stringify({ replies }) });
  expect(res.status).toBe(200);
}

export async function resetFake(): Promise<void> {
  await fetch(`${fakeUrl()}/__fake/reset`, { method: "POST", body: "{}" });
}

export async function fakeCalls(): Promise<RecordedCall[]> {
  const res = await fetch(`${fakeUrl()}/__fake/calls`);
  return ((await res.json()) as { calls: RecordedCall[] }).calls;
}

/** The JSON body of the only provider call made since the last reset. */
export async function onlyCall(): Promise<RecordedCall & { body: Record<string, unknown> }> {
  const calls = await fakeCalls();
  expect(calls).toHaveLength(1);
  return calls[0] as RecordedCall & { body: Record<string, unknown> };
}

/** No credential in any gateway response or console line of this file. */
export function expectNoSecretsLeaked(): void {
  const consoleLines = (globalThis as { __gatewayConsole?: string[] }).__gatewayConsole ?? [];
  expect(responses.length).toBeGreaterThan(0);
  for (const secret of secrets()) {
    for (const text of [...responses, ...consoleLines]) expect(text).not.toContain(secret);
  }
}
