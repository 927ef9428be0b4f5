// Fanout: 1,000 items at concurrency 50 through the whole stack (orchestrator → runtime →
// gateway → fake provider answering after 50 ms). Reports wall time against the ideal
// (items / concurrency × latency).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLocalProject } from "../cli/src/stack/start-local.ts";
import { startFakeProvider } from "../test/fake-provider/server.ts";
import { ITEM_PROMPT, writeFanoutProject } from "./lib/fanout-project.ts";
import { invokeAndWait } from "./lib/runs.ts";
import { fmt, median, printTable, writeResults } from "./lib/stats.ts";

const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const REPS = Number(process.env.BENCH_REPS ?? 3);

async function main(): Promise<void> {
  const fake = await startFakeProvider();
  fake.plan({ match: ITEM_PROMPT, replies: [{ delay_ms: LATENCY_MS, text: '{"ok": true}' }] });
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-fan-"));
  const projectDir = path.join(work, "project");
  await writeFanoutProject(projectDir, CONCURRENCY);
  const { stack } = await startLocalProject({ projectDir, stateDir: path.join(work, "state"), port: 0, environment: { ...process.env, FAKE_URL: fake.url } });
  const items = Array.from({ length: ITEMS }, (_, i) => String(i));
  const walls: number[] = [];
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const t0 = performance.now();
      await invokeAndWait(stack.url.toString(), "fan", { items });
      walls.push(performance.now() - t0);
    }
  } finally {
    await stack.dispose();
    await fake.close();
    await rm(work, { recursive: true, force: true });
  }
  const ideal = (ITEMS / CONCURRENCY) * LATENCY_MS;
  const wall = median(walls);
  console.log(`\nFanout: ${ITEMS} items, concurrency ${CONCURRENCY}, provider latency ${LATENCY_MS} ms, ${REPS} runs\n`);
  printTable(
    ["items", "concurrency", "ideal ms", "wall p50 ms", "wall / ideal", "items/s"],
    [[ITEMS, CONCURRENCY, fmt(ideal, 0), fmt(wall, 0), `${fmt(wall / ideal)}x`, fmt((ITEMS / wall) * 1000, 0)]],
  );
  const file = writeResults("fanout", { items: ITEMS, concurrency: CONCURRENCY, latency_ms: LATENCY_MS, ideal_ms: ideal, walls_ms: walls });
  console.log(`\nraw results: ${path.relative(process.cwd(), file)}`);
}

await main();
