// The load scenario, shared by the fast variant (stack.test.ts) and the long one
// (load.long.test.ts): N concurrent POST /invoke and N queue messages on one stack.
import type { LocalStack } from "../../../cli/src/stack/stack.ts";
import type { RunRecord } from "../../../shared/contracts/records.ts";
import { runIdForKey } from "../../../workers/orchestrator/src/idempotency.ts";
import { type Api, mapLimit, sleep, TERMINAL } from "./api.ts";

export interface LoadResult {
  invoked: number;
  accepted: number;
  queued: number;
  terminal: number;
  complete: number;
  failed: number;
  lost: string[];
  disagreements: string[];
  seconds: number;
  runsPerSecond: number;
  invokeP50Ms: number;
  invokeP99Ms: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runLoad(
  stack: LocalStack,
  api: Api,
  options: { invokes: number; messages: number; tag: string; timeoutMs: number },
): Promise<LoadResult> {
  const producer = await stack.miniflare.getQueueProducer<unknown>("RUN_QUEUE", "ktsu-orchestrator");
  const keys = Array.from({ length: options.messages }, (_, i) => `${options.tag}-q-${i}`);
  const t0 = Date.now();
  const latencies: number[] = [];
  const invoking = Promise.all(
    Array.from({ length: options.invokes }, async (_, i) => {
      const started = Date.now();
      const res = await api.json<{ run_id?: string }>("POST", "/invoke/quick", { text: `${options.tag} invoke ${i}` });
      latencies.push(Date.now() - started);
      return res.status === 202 ? res.body.run_id! : null;
    }),
  );
  const queueing = (async () => {
    for (let i = 0; i < keys.length; i += 100) {
      await producer.sendBatch(
        keys.slice(i, i + 100).map((key, j) => ({ body: { workflow: "quick", params: { text: `${options.tag} queued ${i + j}` }, idempotency_key: key } })),
      );
    }
  })();
  const [invoked] = await Promise.all([invoking, queueing]);
  const accepted = invoked.filter((id): id is string => id !== null);
  const ids = [...accepted, ...(await Promise.all(keys.map((key) => runIdForKey({ workflow: "quick", key }))))];

  // Wait until D1 shows every run terminal.
  const deadline = Date.now() + options.timeoutMs;
  let rows = new Map<string, RunRecord>();
  for (;;) {
    const list = await api.json<{ runs: RunRecord[] }>("GET", "/runs?workflow=quick&limit=1000");
    rows = new Map(list.body.runs.map((r) => [r.id, r]));
    if (ids.length > 1000) {
      // /runs shows the latest 1000: check the rest one by one.
      for (const id of ids.filter((x) => !rows.has(x))) {
        const one = await api.json<{ run: RunRecord }>("GET", `/runs/${id}`);
        if (one.status === 200) rows.set(id, one.body.run);
      }
    }
    const done = ids.filter((id) => TERMINAL.has(rows.get(id)?.status ?? "")).length;
    if (done === ids.length || Date.now() > deadline) break;
    await sleep(250);
  }
  const seconds = (Date.now() - t0) / 1000;
  const lost = ids.filter((id) => !TERMINAL.has(rows.get(id)?.status ?? ""));

  // The Durable Object agrees with D1: its event stream ends with the run's end.
  const disagreements: string[] = [];
  await mapLimit(ids, 16, async (id) => {
    const events = await api.events(id, 30_000);
    const last = events.at(-1);
    const d1 = rows.get(id)?.status;
    const expected = d1 === "complete" ? "run_completed" : d1 === "failed" ? "run_failed" : "?";
    if (last?.type !== expected) disagreements.push(`${id}: D1 ${d1}, Durable Object's last event ${last?.type}`);
  });

  const statuses = ids.map((id) => rows.get(id)?.status);
  return {
    invoked: options.invokes,
    accepted: accepted.length,
    queued: keys.length,
    terminal: ids.length - lost.length,
    complete: statuses.filter((s) => s === "complete").length,
    failed: statuses.filter((s) => s === "failed").length,
    lost,
    disagreements,
    seconds,
    runsPerSecond: ids.length / seconds,
    invokeP50Ms: percentile(latencies, 50),
    invokeP99Ms: percentile(latencies, 99),
  };
}
