// Benchmark only: drives the orchestrator's Store as a run's Durable Object does, one mirror()
// per commit, and times each write. GET /?store=d1|postgres&runs=R&commits=C&steps=S: R runs
// concurrently, each C commits of its run row, S changed steps and two events; answers the
// milliseconds of every commit (workerd's clock advances across the I/O being measured).
import type { RunEvent, RunRecord, StepRecord } from "../../shared/contracts/records.ts";
import { openStore } from "../../workers/orchestrator/src/store/open-store.ts";

interface Env {
  DB: D1Database;
  HYPERDRIVE: Hyperdrive;
}

const METRICS = { duration_ms: 3, tokens_in: 120, tokens_out: 40, cost_usd: 0.0002, llm_calls: 1, tool_calls: 0 };

function commit(runId: string, n: number, steps: number): { run: RunRecord; steps: StepRecord[]; events: RunEvent[] } {
  const at = new Date().toISOString();
  return {
    run: { id: runId, workflow_name: "bench", status: "running", created_at: at, updated_at: at, cost_usd: n * 0.0002, payload: { name: "bench" } },
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `s${i}`,
      run_id: runId,
      name: `s${i}`,
      type: "transform" as const,
      status: "complete" as const,
      seq: i + 1,
      started_at: at,
      ended_at: at,
      output: { greeting: `hello ${i}`, n },
      metrics: METRICS,
    })),
    events: [0, 1].map((k) => ({ run_id: runId, seq: n * 2 + k + 1, type: "step_completed" as const, step_id: "s0", data: { n }, created_at: at })),
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const q = new URL(request.url).searchParams;
    const store = openStore(q.get("store") === "postgres" ? env : { DB: env.DB });
    const runs = Number(q.get("runs") ?? 1);
    const commits = Number(q.get("commits") ?? 20);
    const steps = Number(q.get("steps") ?? 1);
    const prefix = crypto.randomUUID().slice(0, 8);
    const times: number[][] = await Promise.all(
      Array.from({ length: runs }, async (_, r) => {
        const runId = `run_bench_${prefix}_${r}`;
        const own: number[] = [];
        for (let n = 0; n < commits; n++) {
          const change = commit(runId, n, steps);
          const t0 = performance.now();
          await store.mirror(change);
          own.push(performance.now() - t0);
        }
        return own;
      }),
    );
    return Response.json({ ms: times.flat() });
  },
};
