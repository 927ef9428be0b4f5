// Per-step orchestration overhead: a 100-step linear chain and a 100-wide diamond of
// transform steps through POST /invoke on the local stack, against the same shapes as
// Cloudflare Workflows (one step.do per step) in the same workerd. Runs interleaved
// (A B A B …); reports median and p95 per run and per step, and the ratio.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions } from "wrangler";
import { buildWorker } from "../cli/src/stack/build-workers.ts";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";
import { startLocalProject } from "../cli/src/stack/start-local.ts";
import { fmt, median, percentile, printTable, sleep, writeResults } from "./lib/stats.ts";

const STEPS = Number(process.env.BENCH_STEPS ?? 100);
const REPS = Number(process.env.BENCH_REPS ?? 10);
const POLL_MS = 2;

function chainYaml(n: number): string {
  const steps = [`  - id: s0\n    transform:\n      inputs: []`];
  for (let i = 1; i < n; i++) steps.push(`  - id: s${i}\n    depends_on: [s${i - 1}]\n    transform:\n      inputs: [{ from: s${i - 1} }]`);
  return `name: chain\npipeline:\n${steps.join("\n")}\n`;
}

function diamondYaml(n: number): string {
  const steps = [`  - id: root\n    transform:\n      inputs: []`];
  for (let i = 0; i < n; i++) steps.push(`  - id: m${i}\n    depends_on: [root]\n    transform:\n      inputs: [{ from: root }]`);
  steps.push(`  - id: join\n    depends_on: [${Array.from({ length: n }, (_, i) => `m${i}`).join(", ")}]\n    transform:\n      inputs: []`);
  return `name: diamond\npipeline:\n${steps.join("\n")}\n`;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-"));
  const projectDir = path.join(work, "project");
  await mkdir(path.join(projectDir, "workflows"), { recursive: true });
  await writeFile(path.join(projectDir, "workflows", "chain.workflow.yaml"), chainYaml(STEPS));
  await writeFile(path.join(projectDir, "workflows", "diamond.workflow.yaml"), diamondYaml(STEPS));

  const benchConfig = path.join(REPO_ROOT, "bench", "workflow-worker", "wrangler.jsonc");
  const benchEntry = await buildWorker(benchConfig, path.join(work, "bench-worker"), path.join(REPO_ROOT, "dist", "test-project", "bundle.js"));
  const { modulesRules: _rules, ...benchOptions } = getMiniflareWorkerOptions(benchConfig).workerOptions;
  const benchWorker = {
    ...(benchOptions as Omit<LegacyWorkerOptions, "scriptPath">),
    name: "ktsu-bench-workflows",
    modules: true,
    scriptPath: benchEntry,
    modulesRoot: path.dirname(benchEntry),
  };

  const { stack } = await startLocalProject({ projectDir, stateDir: path.join(work, "state"), port: 0, extraWorkers: [benchWorker as LegacyWorkerOptions] });
  const workflows = await stack.miniflare.getWorker("ktsu-bench-workflows");

  async function ours(shape: string): Promise<number> {
    const t0 = performance.now();
    const res = await fetch(new URL(`/invoke/${shape}`, stack.url), { method: "POST", body: "{}" });
    const { run_id } = (await res.json()) as { run_id: string };
    for (;;) {
      const view = (await (await fetch(new URL(`/runs/${run_id}`, stack.url))).json()) as { run: { status: string } };
      if (view.run.status === "complete") return performance.now() - t0;
      if (view.run.status !== "running") throw new Error(`run ${run_id} ended ${view.run.status}`);
      await sleep(POLL_MS);
    }
  }

  async function theirs(shape: string): Promise<number> {
    const t0 = performance.now();
    const res = await workflows.fetch("http://bench/start", { method: "POST", body: JSON.stringify({ shape, steps: STEPS }) });
    const { id } = (await res.json()) as { id: string };
    for (;;) {
      const status = (await (await workflows.fetch(`http://bench/status?id=${id}`)).json()) as { status: string; error?: unknown };
      if (status.status === "complete") return performance.now() - t0;
      if (status.status === "errored" || status.status === "terminated") throw new Error(`workflow ${id}: ${JSON.stringify(status)}`);
      await sleep(POLL_MS);
    }
  }

  const results: Record<string, { ours: number[]; workflows: number[] }> = {};
  try {
    for (const shape of ["chain", "diamond"]) {
      results[shape] = { ours: [], workflows: [] };
      await ours(shape); // warm-up, not measured
      await theirs(shape);
      for (let i = 0; i < REPS; i++) {
        results[shape]!.ours.push(await ours(shape));
        results[shape]!.workflows.push(await theirs(shape));
      }
    }
  } finally {
    await stack.dispose();
    await rm(work, { recursive: true, force: true });
  }

  const stepsOf = (shape: string) => (shape === "chain" ? STEPS : STEPS + 2);
  const rows = Object.entries(results).map(([shape, r]) => {
    const n = stepsOf(shape);
    const ourMedian = median(r.ours);
    const theirMedian = median(r.workflows);
    return [
      shape,
      n,
      fmt(ourMedian),
      fmt(percentile(r.ours, 95)),
      fmt(ourMedian / n, 3),
      fmt(theirMedian),
      fmt(percentile(r.workflows, 95)),
      fmt(theirMedian / n, 3),
      `${fmt(theirMedian / ourMedian, 1)}x`,
    ];
  });
  console.log(`\nOrchestration overhead: ${REPS} interleaved runs per side (transform steps, end to end through the HTTP API)\n`);
  printTable(["shape", "steps", "ktsu p50 ms", "ktsu p95 ms", "ktsu ms/step", "Workflows p50 ms", "Workflows p95 ms", "Workflows ms/step", "speedup"], rows);
  const file = writeResults("orchestration", { steps: STEPS, reps: REPS, results });
  console.log(`\nraw results: ${path.relative(process.cwd(), file)}`);
}

await main();
