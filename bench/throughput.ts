// Throughput: complete runs of the hello workflow (one agent step through runtime and
// gateway to the fake provider) with 1, 10 and 100 concurrent clients, each invoking and
// waiting for its run to finish, for a fixed time. Reports runs/s and the local stack's memory.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";
import { startLocalProject } from "../cli/src/stack/start-local.ts";
import { startFakeProvider } from "../test/fake-provider/server.ts";
import { type CpuPerRun, cpuPerHelloRun, HELLO_CPU_CLIENTS, HELLO_CPU_RUNS } from "./lib/hello-cpu.ts";
import { fmt, percentile, printTable, sleep, writeResults } from "./lib/stats.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const LEVELS = (process.env.BENCH_CLIENTS ?? "1,10,100").split(",").map(Number);

/** Resident memory (MB) of this process's workerd children. */
function workerdRssMb(): number {
  try {
    const out = execFileSync("ps", ["-o", "rss=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
    return out
      .split("\n")
      .filter((l) => l.includes("workerd"))
      .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]) / 1024, 0);
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const fake = await startFakeProvider();
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-tp-"));
  const { stack } = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "examples", "hello"),
    stateDir: work,
    port: 0,
    environment: { ...process.env, KTSU_FAKE_PROVIDER_URL: fake.url },
  });
  const rows: Array<Array<string | number>> = [];
  let cpu: CpuPerRun | undefined;
  const results: Record<string, unknown> = {};
  try {
    const runOnce = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(new URL("/invoke/hello", stack.url), { method: "POST", body: '{"name":"bench"}' });
      const { run_id } = (await res.json()) as { run_id: string };
      for (;;) {
        const { run } = (await (await fetch(new URL(`/runs/${run_id}`, stack.url))).json()) as { run: { status: string } };
        if (run.status === "complete") return performance.now() - t0;
        if (run.status !== "running") throw new Error(`run ${run_id} ended ${run.status}`);
        await sleep(10);
      }
    };
    await runOnce(); // warm-up
    cpu = await cpuPerHelloRun(stack.url);
    for (const clients of LEVELS) {
      const latencies: number[] = [];
      const end = performance.now() + SECONDS * 1000;
      let peakMb = 0;
      const sampler = setInterval(() => (peakMb = Math.max(peakMb, workerdRssMb())), 500);
      const started = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (performance.now() < end) latencies.push(await runOnce());
        }),
      );
      clearInterval(sampler);
      const elapsed = (performance.now() - started) / 1000;
      const rps = latencies.length / elapsed;
      rows.push([clients, latencies.length, fmt(rps, 1), fmt(percentile(latencies, 50), 1), fmt(percentile(latencies, 95), 1), fmt(peakMb, 0)]);
      results[String(clients)] = { runs: latencies.length, seconds: elapsed, runs_per_s: rps, latencies_ms: latencies, peak_workerd_rss_mb: peakMb };
    }
  } finally {
    await stack.dispose();
    await fake.close();
    await rm(work, { recursive: true, force: true });
  }
  console.log(`\nThroughput: hello (one agent step, fake provider), ${SECONDS} s per level, clients invoke and wait for completion\n`);
  printTable(["clients", "runs", "runs/s", "run p50 ms", "run p95 ms", "workerd RSS MB"], rows);
  if (cpu) {
    console.log(
      `\nworkerd CPU per hello run: ${fmt(cpu.per_run_ms, 2)} ms (${HELLO_CPU_RUNS} runs, ${HELLO_CPU_CLIENTS} at a time, status read once at the end; one GET /runs/{id} costs ${fmt(cpu.per_status_read_ms, 2)} ms of it)`,
    );
  }
  const file = writeResults("throughput", { seconds: SECONDS, results, cpu_per_run: cpu });
  console.log(`\nraw results: ${path.relative(process.cwd(), file)}`);
}

await main();
