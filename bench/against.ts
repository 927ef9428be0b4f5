// A fanout point, or workerd's CPU per hello run, measured on this checkout and on another git
// revision side by side.
//
// This machine's speed drifts by tens of percent between hours and between sessions (the same
// Cloudflare Workflow bench read 157 ms on one day and 254 ms on another), so a figure is only
// comparable with one measured beside it. This runs both sides in the same harness, alternating
// which goes first in each round. The fanout (BENCH_SHAPE=fanout, the default): wall time (the run's
// created_at to completed_at) against the ideal (items / concurrency × latency) and workerd's CPU per
// item. Hello (BENCH_SHAPE=hello): workerd's CPU per run of examples/hello (bench/lib/hello-cpu.ts;
// this checkout's copy of the example is used for both sides).
//
//   BENCH_AGAINST=d4d3d52 npm run bench -- against
//   BENCH_AGAINST=d4d3d52 BENCH_SHAPE=hello npm run bench -- against
//
// BENCH_AGAINST (required): the revision to compare with. BENCH_ROUNDS (default 3), BENCH_REPS (fanout
// runs per side per round, default 3), BENCH_ITEMS (1000), BENCH_CONCURRENCY (50), BENCH_LATENCY_MS
// (50), BENCH_CPU_RUNS (hello runs per side per round, 200).
//
// The revision is checked out with `git worktree add --detach` into a temporary directory, with this
// checkout's node_modules linked in (a revision whose dependencies differ much may not start), and
// removed afterwards. Each side's stack runs in this process through that side's own
// `cli/src/stack/start-local.ts` (`startLocalProject`): the one internal interface both must share.
// Revisions from before the run viewer's sources were committed get a stand-in `ui/build.ts` that
// builds no viewer (the fanout does not use it).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";
import { startFakeProvider } from "../test/fake-provider/server.ts";
import { childrenCpuMs } from "./lib/cpu.ts";
import { cpuPerHelloRun } from "./lib/hello-cpu.ts";
import { ITEM_PROMPT, itemReply, writeFanoutProject } from "./lib/fanout-project.ts";
import { invokeAndWait, runDurationMs } from "./lib/runs.ts";
import { fmt, median, printTable, writeResults } from "./lib/stats.ts";

const AGAINST = process.env.BENCH_AGAINST;
const SHAPE = process.env.BENCH_SHAPE ?? "fanout";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
/** Polling for the run's end is work in the measured process: kept rare. */
const POLL_MS = 250;

/** What both sides' `cli/src/stack/start-local.ts` export, as far as this bench uses it. */
type StartLocalProject = (options: {
  projectDir: string;
  stateDir: string;
  port: number;
  environment: Record<string, string | undefined>;
}) => Promise<{ stack: { url: string; dispose(): Promise<void> } }>;

interface Side {
  name: string;
  root: string;
  /** Fanout: each run's wall time. */
  walls_ms: number[];
  /** Fanout: CPU ms per item of each run; hello: CPU ms per run of each round. */
  cpu_ms: number[];
}

const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();

/** A detached worktree of `revision` that uses this checkout's node_modules. */
async function checkOut(revision: string, into: string): Promise<string> {
  git("worktree", "add", "--detach", into, revision);
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(into, "node_modules"));
  const uiBuild = path.join(into, "ui", "build.ts");
  if (!existsSync(uiBuild)) {
    await mkdir(path.dirname(uiBuild), { recursive: true });
    await writeFile(uiBuild, "export async function ensureUi(): Promise<null> {\n  return null;\n}\n");
  }
  return into;
}

/**
 * Starts `side`'s stack on `projectDir` and measures it: the fanout REPS times (each run's wall and
 * workerd's CPU per item), or hello's CPU per run once (after one warm-up run).
 */
async function measure(side: Side, projectDir: string, work: string, fakeUrl: string): Promise<void> {
  const { startLocalProject } = (await import(path.join(side.root, "cli", "src", "stack", "start-local.ts"))) as { startLocalProject: StartLocalProject };
  const stateDir = await mkdtemp(path.join(work, "state-"));
  const environment = { ...process.env, FAKE_URL: fakeUrl, KTSU_FAKE_PROVIDER_URL: fakeUrl };
  const { stack } = await startLocalProject({ projectDir, stateDir, port: 0, environment });
  try {
    if (SHAPE === "hello") {
      await invokeAndWait(stack.url, "hello", { name: "warm-up" });
      side.cpu_ms.push((await cpuPerHelloRun(stack.url)).per_run_ms);
      return;
    }
    const params = { items: Array.from({ length: ITEMS }, (_, i) => String(i)) };
    for (let rep = 0; rep < REPS; rep++) {
      const cpu0 = childrenCpuMs();
      const runId = await invokeAndWait(stack.url, "fan", params, POLL_MS);
      side.cpu_ms.push((childrenCpuMs() - cpu0) / ITEMS);
      side.walls_ms.push(await runDurationMs(stack.url, runId));
    }
  } finally {
    await stack.dispose();
  }
}

async function main(): Promise<void> {
  if (!AGAINST) throw new Error("set BENCH_AGAINST to the git revision to compare with, e.g. BENCH_AGAINST=d4d3d52");
  if (SHAPE !== "fanout" && SHAPE !== "hello") throw new Error(`BENCH_SHAPE must be fanout or hello, not ${SHAPE}`);
  const revision = git("rev-parse", "--short", AGAINST);
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-against-"));
  const other = path.join(work, "checkout");
  const fake = await startFakeProvider();
  fake.plan({ match: ITEM_PROMPT, replies: [{ delay_ms: LATENCY_MS, text: itemReply(0) }] });
  const projectDir = SHAPE === "hello" ? path.join(REPO_ROOT, "examples", "hello") : path.join(work, "project");
  if (SHAPE === "fanout") await writeFanoutProject(projectDir, CONCURRENCY);
  const sides: Side[] = [
    { name: revision, root: "", walls_ms: [], cpu_ms: [] },
    { name: `this checkout (${git("rev-parse", "--short", "HEAD")})`, root: REPO_ROOT, walls_ms: [], cpu_ms: [] },
  ];
  try {
    sides[0]!.root = await checkOut(revision, other);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) await measure(side, projectDir, work, fake.url);
      const latest = (s: Side) => (SHAPE === "hello" ? `${fmt(s.cpu_ms.at(-1)!)} CPU ms per run` : `${fmt(median(s.walls_ms.slice(-REPS)), 0)} ms`);
      console.log(`round ${round + 1}: ${sides.map((s) => `${s.name} ${latest(s)}`).join(", ")}`);
    }
  } finally {
    await fake.close();
    if (existsSync(other)) git("worktree", "remove", "--force", other);
    await rm(work, { recursive: true, force: true });
  }
  const range = (values: number[], digits: number) => `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}`;
  if (SHAPE === "hello") {
    console.log(`\nworkerd CPU per hello run: ${ROUNDS} rounds per side\n`);
    printTable(
      ["side", "CPU ms per run p50", "range"],
      sides.map((s) => [s.name, fmt(median(s.cpu_ms)), range(s.cpu_ms, 2)]),
    );
  } else {
    const ideal = (ITEMS / CONCURRENCY) * LATENCY_MS;
    console.log(`\n${ITEMS} items × concurrency ${CONCURRENCY}, provider latency ${LATENCY_MS} ms: ${ROUNDS} rounds × ${REPS} runs per side\n`);
    printTable(
      ["side", "wall p50 ms", "wall / ideal", "wall range ms", "CPU ms/item p50"],
      sides.map((s) => [s.name, fmt(median(s.walls_ms), 0), `${fmt(median(s.walls_ms) / ideal)}x`, range(s.walls_ms, 0), fmt(median(s.cpu_ms))]),
    );
  }
  const file = writeResults(`against-${SHAPE}`, { revision, shape: SHAPE, items: ITEMS, concurrency: CONCURRENCY, latency_ms: LATENCY_MS, sides });
  console.log(`\nraw results: ${path.relative(process.cwd(), file)}`);
}

await main();
