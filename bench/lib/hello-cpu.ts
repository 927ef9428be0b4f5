// workerd's CPU per complete hello run (examples/hello: one agent step through runtime and gateway
// to the fake provider), as `bench/throughput.ts` and `bench/against.ts` report it.
import { childrenCpuMs } from "./cpu.ts";

export const HELLO_CPU_RUNS = Number(process.env.BENCH_CPU_RUNS ?? 200);
export const HELLO_CPU_CLIENTS = 10;

export interface CpuPerRun {
  per_run_ms: number;
  per_status_read_ms: number;
  runs: number;
}

/**
 * Runs started HELLO_CPU_CLIENTS at a time, each waited for through the run's event stream (read to
 * its end, so no polling adds to the figure), then its status read once. The cost of that read is
 * measured on its own and reported with it. The stack must run in this process (its workerd a child).
 */
export async function cpuPerHelloRun(baseUrl: string | URL): Promise<CpuPerRun> {
  const oneRun = async (): Promise<string> => {
    const res = await fetch(new URL("/invoke/hello", baseUrl), { method: "POST", body: '{"name":"bench"}' });
    const { run_id } = (await res.json()) as { run_id: string };
    await (await fetch(new URL(`/runs/${run_id}/events`, baseUrl))).text();
    const { run } = (await (await fetch(new URL(`/runs/${run_id}`, baseUrl))).json()) as { run: { status: string } };
    if (run.status !== "complete") throw new Error(`run ${run_id} ended ${run.status}`);
    return run_id;
  };
  const ids: string[] = [];
  let started = 0;
  const cpu0 = childrenCpuMs();
  await Promise.all(
    Array.from({ length: HELLO_CPU_CLIENTS }, async () => {
      while (started < HELLO_CPU_RUNS) {
        started += 1;
        ids.push(await oneRun());
      }
    }),
  );
  const perRun = (childrenCpuMs() - cpu0) / ids.length;
  const read0 = childrenCpuMs();
  for (const id of ids) await (await fetch(new URL(`/runs/${id}`, baseUrl))).text();
  return { per_run_ms: perRun, per_status_read_ms: (childrenCpuMs() - read0) / ids.length, runs: ids.length };
}
