// A small client for the orchestrator's public API that records every response
// (status, headers, body) so the secrets scan can read all of them afterwards.
import type { RunEvent, RunRecord, StepRecord } from "../../../shared/contracts/records.ts";

export interface Recorded {
  method: string;
  path: string;
  status: number;
  headers: string;
  body: string;
}

export interface RunView {
  run: RunRecord;
  steps: StepRecord[] | null;
}

export const TERMINAL = new Set(["complete", "failed", "needs_human"]);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits for a signal: re-checks `done` every `intervalMs` until it holds, or until `timeoutMs`
 * has passed (a bound for a signal that never comes). Returns whether it held.
 */
export async function pollUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

export class Api {
  base: URL;
  readonly adminToken: string | undefined;
  readonly recorded: Recorded[] = [];

  constructor(base: URL | string, adminToken?: string) {
    this.base = new URL(base);
    this.adminToken = adminToken;
  }

  /** A raw request; the admin token is added unless `headers.authorization` is given (or null to send none). */
  async request(
    method: string,
    path: string,
    init: { body?: RequestInit["body"]; headers?: Record<string, string | null>; signal?: AbortSignal } = {},
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const headers: Record<string, string> = {};
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      if (value === null) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    const res = await fetch(new URL(path, this.base), { method, headers, body: init.body ?? null, ...(init.signal ? { signal: init.signal } : {}) });
    const text = await res.text();
    this.recorded.push({ method, path, status: res.status, headers: JSON.stringify([...res.headers]), body: text });
    return { status: res.status, headers: res.headers, text };
  }

  async json<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string | null>,
  ): Promise<{ status: number; body: T }> {
    const res = await this.request(method, path, {
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      headers: { "content-type": "application/json", ...headers },
    });
    let parsed: unknown = null;
    try {
      parsed = res.text === "" ? null : JSON.parse(res.text);
    } catch {
      parsed = { unparsed: res.text };
    }
    return { status: res.status, body: parsed as T };
  }

  async invoke(workflow: string, params: unknown, headers?: Record<string, string | null>): Promise<string> {
    const res = await this.json<{ run_id?: string }>("POST", `/invoke/${workflow}`, params, headers);
    if (res.status !== 202 || !res.body.run_id) throw new Error(`invoke ${workflow}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.run_id;
  }

  async run(runId: string): Promise<RunView> {
    const res = await this.json<RunView>("GET", `/runs/${encodeURIComponent(runId)}`);
    if (res.status !== 200) throw new Error(`GET /runs/${runId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Polls until the run is terminal; throws after `timeoutMs`. */
  async waitForRun(runId: string, timeoutMs = 30_000, intervalMs = 100): Promise<RunView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.json<RunView>("GET", `/runs/${encodeURIComponent(runId)}`);
      if (res.status === 200 && TERMINAL.has(res.body.run.status)) return res.body;
      if (Date.now() > deadline) throw new Error(`run ${runId} not terminal after ${timeoutMs} ms: ${JSON.stringify(res.body).slice(0, 2000)}`);
      await sleep(intervalMs);
    }
  }

  /** The run's whole event stream (it closes when the run has ended), parsed. */
  async events(runId: string, timeoutMs = 30_000): Promise<RunEvent[]> {
    const res = await this.request("GET", `/runs/${encodeURIComponent(runId)}/events`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) throw new Error(`events ${runId}: ${res.status} ${res.text}`);
    return parseSse(res.text);
  }
}

export function parseSse(text: string): RunEvent[] {
  const events: RunEvent[] = [];
  for (const block of text.split("\n\n")) {
    const data = block
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => line.slice(6))
      .join("\n");
    if (data) events.push(JSON.parse(data) as RunEvent);
  }
  return events;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!, i);
      }
    }),
  );
  return results;
}
