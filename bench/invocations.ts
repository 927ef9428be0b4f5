// Per-invocation budgets, measured on the local stack (`ktsu start --all` as a child
// process, so its log lines can be read):
//   (a) one agent step of 20 turns, each asking for one kv tool call, then the answer;
//   (b) a 1,000-item fanout at concurrency 50 with a 50 ms provider.
// Subrequests come from our own counters (the step hosts' and the run object's log lines).
// CPU is the workerd process's utime+stime across the scenario: all four Workers, the
// Durable Objects, SQLite and workerd's own I/O share that one process, so CPU per
// invocation is an upper-bound estimate, not a per-invocation measurement.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFakeProvider } from "../test/fake-provider/server.ts";
import { type ChildStack, startChild } from "../test/reliability/support/stacks.ts";
import { CLOCK_TICKS, cpuMs } from "./lib/cpu.ts";
import { ITEM_PROMPT, writeFanoutProject } from "./lib/fanout-project.ts";
import { invokeAndWait } from "./lib/runs.ts";
import { fmt, median, printTable, sleep, writeResults } from "./lib/stats.ts";

const TURNS = Number(process.env.BENCH_TURNS ?? 20);
const TURN_LATENCY_MS = Number(process.env.BENCH_TURN_LATENCY_MS ?? 500);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const REPS = Number(process.env.BENCH_REPS ?? 2);
/** How long the idle stack's CPU is read before the scenarios, as the background to compare against. */
const IDLE_MS = 5000;
/** Polling for the run's end is work in the same process: kept rare so it adds little to the CPU read. */
const POLL_MS = 500;
const COUNTER_PROMPT = "Increment the counter on every turn";

const counterAgent = `name: counter
model: default
max_turns: ${TURNS + 5}
prompt:
  system: ${COUNTER_PROMPT}, then answer.
  user: Go.
servers:
  - name: kv
    path: ../servers/kv.server.yaml
    access:
      allowlist: [increment]
output:
  schema:
    type: object
    required: [answer]
    properties:
      answer: { type: string }
`;

const turnsWorkflow = `name: turns
pipeline:
  - id: count
    agent: agents/counter.agent.yaml
`;

// ------------------------------------------------------------ what the log lines say

interface StepFinished {
  run_id: string;
  step_id: string;
  subrequests: Record<string, number>;
  alarms: number;
}

interface RunInvocations {
  run_id: string;
  invocations: number;
  by_kind: Record<string, number>;
  largest: { kind: string; subrequests: number };
  subrequests: Record<string, number>;
}

/** The JSON log lines with this `message` (workerd prints a Worker's console.log as is). */
function logLines<T>(output: string, message: string): T[] {
  const marker = `{"message":"${message}"`;
  return output
    .split("\n")
    .filter((line) => line.includes(marker))
    .map((line) => JSON.parse(line.slice(line.indexOf(marker))) as T);
}

async function waitForLogs(stack: ChildStack, runId: string, steps: number): Promise<{ hosts: StepFinished[]; run: RunInvocations }> {
  const deadline = Date.now() + 120_000; // a bound for lines that never come, generous for a busy machine
  for (;;) {
    const output = stack.output();
    const hosts = logLines<StepFinished>(output, "runtime: step finished").filter((l) => l.run_id === runId);
    const run = logLines<RunInvocations>(output, "orchestrator: run invocations").find((l) => l.run_id === runId);
    if (run && hosts.length >= steps) return { hosts, run };
    if (Date.now() > deadline) throw new Error(`run ${runId}: ${hosts.length}/${steps} step lines, run line ${run ? "seen" : "missing"}`);
    await sleep(50);
  }
}

// ------------------------------------------------------------ one scenario

interface Measured {
  scenario: string;
  run_id: string;
  wall_ms: number;
  cpu_ms: number;
  step_hosts: number;
  host_subrequests: { total: Summary; gateway: Summary; orchestrator: Summary; tools: Summary };
  host_alarms: Summary;
  run_object: RunInvocations;
  /** Run-object invocations + step-host invocations (start + alarms) + Worker invocations their subrequests caused. */
  invocations_all: number;
  cpu_ms_per_run_object_invocation: number;
  cpu_ms_per_invocation_all: number;
}

interface Summary {
  min: number;
  median: number;
  max: number;
  sum: number;
}

function summarize(values: number[]): Summary {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values), sum: values.reduce((a, b) => a + b, 0) };
}

async function measure(stack: ChildStack, scenario: string, workflow: string, params: unknown, steps: number): Promise<Measured> {
  const cpu0 = cpuMs(stack.workerdPid);
  const t0 = performance.now();
  const runId = await invokeAndWait(stack.url, workflow, params, POLL_MS);
  const { hosts, run } = await waitForLogs(stack, runId, steps);
  const wall = performance.now() - t0;
  const cpu = cpuMs(stack.workerdPid) - cpu0;
  const of = (binding: string) => summarize(hosts.map((h) => h.subrequests[binding] ?? 0));
  const alarms = hosts.map((h) => h.alarms);
  const hostInvocations = hosts.length + alarms.reduce((a, b) => a + b, 0);
  // Each service-binding subrequest is an invocation of the Worker it reaches (D1 calls are not),
  // and each heartbeat alarm posts once to the orchestrator Worker.
  const workerInvocations =
    of("total").sum + alarms.reduce((a, b) => a + b, 0) + (run.subrequests.runtime ?? 0) + (run.subrequests.gateway ?? 0) + (run.subrequests.runs ?? 0);
  const all = run.invocations + hostInvocations + workerInvocations;
  return {
    scenario,
    run_id: runId,
    wall_ms: wall,
    cpu_ms: cpu,
    step_hosts: hosts.length,
    host_subrequests: { total: of("total"), gateway: of("gateway"), orchestrator: of("orchestrator"), tools: of("tools") },
    host_alarms: summarize(alarms),
    run_object: run,
    invocations_all: all,
    cpu_ms_per_run_object_invocation: cpu / run.invocations,
    cpu_ms_per_invocation_all: cpu / all,
  };
}

async function main(): Promise<void> {
  const fake = await startFakeProvider();
  const toolTurn = { delay_ms: TURN_LATENCY_MS, tool_calls: [{ name: "increment", arguments: { key: "bench" } }] };
  fake.plan(
    { match: COUNTER_PROMPT, replies: [...Array.from({ length: TURNS }, () => toolTurn), { delay_ms: TURN_LATENCY_MS, text: '{"answer": "done"}' }] },
    { match: ITEM_PROMPT, replies: [{ delay_ms: LATENCY_MS, text: '{"ok": true}' }] },
  );
  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-inv-"));
  const projectDir = path.join(work, "project");
  await writeFanoutProject(projectDir, CONCURRENCY);
  await mkdir(path.join(projectDir, "servers"), { recursive: true });
  await writeFile(path.join(projectDir, "servers", "kv.server.yaml"), "name: kv\nurl: ktsu://tools/kv\n");
  await writeFile(path.join(projectDir, "agents", "counter.agent.yaml"), counterAgent);
  await writeFile(path.join(projectDir, "workflows", "turns.workflow.yaml"), turnsWorkflow);
  const stack = await startChild({ projectDir, stateDir: path.join(work, "state"), environment: { ...process.env, FAKE_URL: fake.url } });
  const results: Measured[] = [];
  let idleCpuMsPerS = Number.NaN;
  try {
    const idle0 = cpuMs(stack.workerdPid);
    await sleep(IDLE_MS);
    idleCpuMsPerS = ((cpuMs(stack.workerdPid) - idle0) / IDLE_MS) * 1000;
    for (let rep = 0; rep < REPS; rep++) {
      results.push(await measure(stack, `agent step, ${TURNS} turns + ${TURNS} tool calls`, "turns", {}, 1));
      const items = Array.from({ length: ITEMS }, (_, i) => String(i));
      results.push(await measure(stack, `fanout ${ITEMS} items, concurrency ${CONCURRENCY}`, "fan", { items }, ITEMS));
    }
  } finally {
    await stack.stop();
    await fake.close();
    await rm(work, { recursive: true, force: true });
  }
  report(results, idleCpuMsPerS);
}

function report(results: Measured[], idleCpuMsPerS: number): void {
  const range = (s: Summary) => (s.min === s.max ? String(s.max) : `${s.min}–${s.max}`);
  console.log(`\nPer-invocation budgets (${REPS} runs of each scenario; turn latency ${TURN_LATENCY_MS} ms, item latency ${LATENCY_MS} ms)\n`);
  console.log("Subrequests (our own counts):");
  printTable(
    ["scenario", "hosts", "host total", "gateway", "orchestrator", "tools", "alarms/host", "run DO invocations", "run DO largest (kind)", "run DO total"],
    results.map((r) => [
      r.scenario,
      r.step_hosts,
      range(r.host_subrequests.total),
      range(r.host_subrequests.gateway),
      range(r.host_subrequests.orchestrator),
      range(r.host_subrequests.tools),
      range(r.host_alarms),
      r.run_object.invocations,
      `${r.run_object.largest.subrequests} (${r.run_object.largest.kind})`,
      r.run_object.subrequests.total ?? 0,
    ]),
  );
  console.log(`\nCPU (local estimate, upper bound: workerd's utime+stime, all four Workers in one process; idle: ${fmt(idleCpuMsPerS, 1)} ms/s):`);
  printTable(
    ["scenario", "wall ms", "CPU ms", "all invocations", "CPU ms / invocation", "CPU ms / run DO invocation"],
    results.map((r) => [
      r.scenario,
      fmt(r.wall_ms, 0),
      fmt(r.cpu_ms, 0),
      r.invocations_all,
      fmt(r.cpu_ms_per_invocation_all),
      fmt(r.cpu_ms_per_run_object_invocation),
    ]),
  );
  const file = writeResults("invocations", {
    turns: TURNS,
    turn_latency_ms: TURN_LATENCY_MS,
    items: ITEMS,
    concurrency: CONCURRENCY,
    latency_ms: LATENCY_MS,
    clock_ticks_per_s: CLOCK_TICKS,
    idle_cpu_ms_per_s: idleCpuMsPerS,
    cpu_note: "workerd process utime+stime across the scenario; all Workers share the process: an upper bound",
    results,
  });
  console.log(`\nraw results: ${path.relative(process.cwd(), file)}`);
}

await main();
