// The fanout curve: items × concurrency through the whole stack (orchestrator → runtime →
// gateway → fake provider answering after 50 ms), `ktsu start --all` as a child process.
// For each point: wall time (the run's created_at to completed_at) against the ideal
// (items / concurrency × latency), and workerd's CPU (utime+stime of the workerd process and
// its children, from /proc) per item. All four Workers, their Durable Objects and SQLite share
// that process, so CPU per item is everything one item costs, an upper bound. After each run
// (outside the measured window) every item is read back through GET /runs/{id}/steps/each/items.
//
//   npm run bench -- fanout                       the full curve: 1,000 / 5,000 / 10,000 × 50 / 100 / 200
//   BENCH_ITEMS=200 BENCH_CONCURRENCY=50 npm run bench -- fanout     one quick point
// BENCH_ITEMS and BENCH_CONCURRENCY take comma-separated lists; BENCH_LATENCY_MS, BENCH_REPS,
// BENCH_OUTPUT_BYTES (each item's output size, default a few bytes) as named.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFakeProvider } from "../test/fake-provider/server.ts";
import { startChild } from "../test/reliability/support/stacks.ts";
import { treeCpuMs } from "./lib/cpu.ts";
import { fanoutWorkflow, ITEM_PROMPT, itemReply, writeFanoutProject } from "./lib/fanout-project.ts";
import { invokeAndWait, pageAllItems, runDurationMs } from "./lib/runs.ts";
import { fmt, median, printTable, sleep, writeResults } from "./lib/stats.ts";

const list = (value: string | undefined, fallback: number[]) => (value ? value.split(",").map(Number) : fallback);
const ITEMS = list(process.env.BENCH_ITEMS, [1000, 5000, 10000]);
const CONCURRENCY = list(process.env.BENCH_CONCURRENCY, [50, 100, 200]);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const REPS = Number(process.env.BENCH_REPS ?? 1);
const OUTPUT_BYTES = Number(process.env.BENCH_OUTPUT_BYTES ?? 0);
/** Polling for the run's end is work in the same process: kept rare so it adds little to the CPU read. */
const POLL_MS = 250;
/** How long the idle stack's CPU is read first, to subtract its background from each point. */
const IDLE_MS = 3000;

interface Point {
  items: number;
  concurrency: number;
  ideal_ms: number;
  walls_ms: number[];
  cpu_ms: number[];
  /** Pages of GET /runs/{id}/steps/each/items it took to read every item back. */
  pages?: number;
}

async function main(): Promise<void> {
  const fake = await startFakeProvider();
  fake.plan({ match: ITEM_PROMPT, replies: [{ delay_ms: LATENCY_MS, text: itemReply(OUTPUT_BYTES) }] });
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-fan-"));
  const projectDir = path.join(work, "project");
  await writeFanoutProject(projectDir, CONCURRENCY);
  const stack = await startChild({ projectDir, stateDir: path.join(work, "state"), environment: { ...process.env, FAKE_URL: fake.url } });
  const points: Point[] = [];
  let idleCpuMsPerS = Number.NaN;
  try {
    const idle0 = treeCpuMs(stack.workerdPid);
    await sleep(IDLE_MS);
    idleCpuMsPerS = ((treeCpuMs(stack.workerdPid) - idle0) / IDLE_MS) * 1000;
    for (const items of ITEMS) {
      for (const concurrency of CONCURRENCY) {
        const point: Point = { items, concurrency, ideal_ms: (items / concurrency) * LATENCY_MS, walls_ms: [], cpu_ms: [] };
        const params = { items: Array.from({ length: items }, (_, i) => String(i)) };
        for (let rep = 0; rep < REPS; rep++) {
          const cpu0 = treeCpuMs(stack.workerdPid);
          const t0 = performance.now();
          const runId = await invokeAndWait(stack.url, fanoutWorkflow(concurrency), params, POLL_MS);
          const elapsed = performance.now() - t0;
          point.cpu_ms.push(treeCpuMs(stack.workerdPid) - cpu0 - (idleCpuMsPerS * elapsed) / 1000);
          point.walls_ms.push(await runDurationMs(stack.url, runId));
          // Outside the measured window: every item is read back through the items API.
          const read = await pageAllItems(stack.url, runId, "each");
          if (read.ok !== items) throw new Error(`run ${runId}: ${read.ok} of ${items} items read back as ok`);
          point.pages = read.pages;
        }
        points.push(point);
        console.log(`${items} × ${concurrency}: wall ${fmt(median(point.walls_ms), 0)} ms, CPU ${fmt(median(point.cpu_ms) / items)} ms/item`);
      }
    }
  } finally {
    await stack.stop();
    await fake.close();
    await rm(work, { recursive: true, force: true });
  }
  console.log(`\nFanout curve: provider latency ${LATENCY_MS} ms, ${REPS} run(s) per point, item outputs ~${OUTPUT_BYTES || 12} bytes`);
  console.log(`CPU: workerd's utime+stime (all four Workers in one process), idle background (${fmt(idleCpuMsPerS, 1)} ms/s) subtracted\n`);
  printTable(
    ["items", "concurrency", "ideal ms", "wall p50 ms", "wall / ideal", "items/s", "CPU ms/item"],
    points.map((p) => {
      const wall = median(p.walls_ms);
      return [
        p.items,
        p.concurrency,
        fmt(p.ideal_ms, 0),
        fmt(wall, 0),
        `${fmt(wall / p.ideal_ms)}x`,
        fmt((p.items / wall) * 1000, 0),
        fmt(median(p.cpu_ms) / p.items),
      ];
    }),
  );
  const file = writeResults("fanout", { latency_ms: LATENCY_MS, reps: REPS, output_bytes: OUTPUT_BYTES, idle_cpu_ms_per_s: idleCpuMsPerS, points });
  console.log(`\nraw results: ${path.relative(process.cwd(), file)}`);
}

await main();
