import { SELF, env } from "cloudflare:test";
import { inject } from "vitest";
import type { RunRecord, StepRecord } from "../../../shared/contracts/records.ts";

const BASE = "https://ktsu.test";

export async function invoke(workflow: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/invoke/${workflow}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Invokes and returns the run id, failing the test unless the run was accepted. */
export async function start(workflow: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<string> {
  const res = await invoke(workflow, params, headers);
  const body = (await res.json()) as { run_id?: string };
  if (res.status !== 202 || !body.run_id) throw new Error(`invoke ${workflow}: ${res.status} ${JSON.stringify(body)}`);
  return body.run_id;
}

export async function get<T = unknown>(path: string): Promise<{ status: number; body: T }> {
  const res = await SELF.fetch(`${BASE}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

export interface RunView {
  run: RunRecord;
  steps: StepRecord[] | null;
}

/**
 * How long a wait for a signal may take before the test fails: a bound for something that never
 * happens, generous because a busy machine (workerd under load) is slow, never a speed limit.
 */
export const WAIT_MS = 60_000;

/** Polls `GET /runs/{id}` until the run leaves `running`. */
export async function settled(runId: string, timeoutMs = WAIT_MS): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await get<RunView>(`/runs/${encodeURIComponent(runId)}`);
    if (status === 200 && body.run.status !== "running") return body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${body.run?.status ?? status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function step(view: RunView, id: string): StepRecord {
  const found = view.steps?.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} in ${JSON.stringify(view.steps?.map((s) => s.id))}`);
  return found;
}

/** A script for the test runtime (test/workers/support/fake-runtime). */
export function script(value: Record<string, unknown>): string {
  return JSON.stringify(value);
}

export async function runCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM runs").first<{ n: number }>();
  return row?.n ?? 0;
}

export const sinkUrl = () => inject("sinkUrl");

export interface SinkCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export async function sinkCalls(): Promise<SinkCall[]> {
  const res = await fetch(`${sinkUrl()}/__calls`);
  return ((await res.json()) as { calls: SinkCall[] }).calls;
}

export async function sinkStatus(path: string, status: number): Promise<void> {
  await fetch(`${sinkUrl()}/__status?path=${encodeURIComponent(path)}&status=${status}`, { method: "POST" });
}

export async function sinkDelay(path: string, ms: number): Promise<void> {
  await fetch(`${sinkUrl()}/__delay?path=${encodeURIComponent(path)}&ms=${ms}`, { method: "POST" });
}

/** Polls until `check` returns a value (not undefined). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A scripted agent step whose `delete_user` call waits for an approval; after the decision it does `onResume`. */
export function gatedDeleteScript(onResume: Record<string, unknown> = { echo: true }): string {
  return script({
    status: "pending_approval",
    pending_approval: {
      tool_name: "delete_user",
      tool_use_id: "call_1",
      arguments: { user: "u42" },
      on_reject: "fail",
      timeout_ms: 0,
      timeout_behavior: "fail",
    },
    messages: [{ role: "user", content: "u" }],
    metrics: { tokens_in: 1 },
    on_resume: onResume,
  });
}
