// Fanout: 1,000 items at concurrency 50 through the whole stack (orchestrator → runtime →
// gateway → fake provider answering after 50 ms). Reports wall time against the ideal
// (items / concurrency × latency).
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLocalProject } from "../cli/src/stack/start-local.ts";
import { startFakeProvider } from "../test/fake-provider/server.ts";
import { fmt, median, printTable, sleep, writeResults } from "./lib/stats.ts";

const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const REPS = Number(process.env.BENCH_REPS ?? 3);

const agent = `name: worker
model: default
params:
  schema:
    type: object
    required: [n]
    properties:
      n: { type: string }
prompt:
  system: You process one item.
  user: "Item {{ params.n }}"
output:
  schema:
    type: object
    required: [ok]
    properties:
      ok: { type: boolean }
`;

const workflow = `name: fan
params:
  schema:
    type: object
    required: [items]
    properties:
      items: { type: array }
pipeline:
  - id: each
    agent: agents/worker.agent.yaml
    for_each:
      from: params.items
      concurrency: ${CONCURRENCY}
    params:
      n: "{{ item }}"
`;

const gateway = `env:
  - name: FAKE_URL
providers:
  - name: fake
    type: openai
    config:
      base_url: "{{ env.FAKE_URL }}/v1"
      api_key: fake-key
model_groups:
  - name: default
    models: ["fake/fake-model"]
    pricing:
      - model: fake-model
        input_per_million: 1
        output_per_million: 2
`;

async function main(): Promise<void> {
  const fake = await startFakeProvider();
  fake.plan({ match: "You process one item", replies: [{ delay_ms: LATENCY_MS, text: '{"ok": true}' }] });
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-fan-"));
  const projectDir = path.join(work, "project");
  await mkdir(path.join(projectDir, "workflows"), { recursive: true });
  await mkdir(path.join(projectDir, "agents"), { recursive: true });
  await writeFile(path.join(projectDir, "agents", "worker.agent.yaml"), agent);
  await writeFile(path.join(projectDir, "workflows", "fan.workflow.yaml"), workflow);
  await writeFile(path.join(projectDir, "gateway.yaml"), gateway);
  const { stack } = await startLocalProject({ projectDir, stateDir: path.join(work, "state"), port: 0, environment: { ...process.env, FAKE_URL: fake.url } });
  const items = Array.from({ length: ITEMS }, (_, i) => String(i));
  const walls: number[] = [];
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const t0 = performance.now();
      const res = await fetch(new URL("/invoke/fan", stack.url), { method: "POST", body: JSON.stringify({ items }) });
      const { run_id } = (await res.json()) as { run_id: string };
      let status = "running";
      while (status === "running") {
        await sleep(20);
        status = ((await (await fetch(new URL(`/runs/${run_id}`, stack.url))).json()) as { run: { status: string } }).run.status;
      }
      if (status !== "complete") throw new Error(`run ${run_id} ended ${status}`);
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
