// Every example runs offline as its README says: on the local stack, through `ktsu invoke --wait`
// (the approval example is decided with `ktsu approve`; the queue example is enqueued over HTTP).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT, binPath } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import type { Envelope } from "../../shared/contracts/records.ts";
import { startFakeProvider, type FakePlan, type FakeProvider } from "../fake-provider/server.ts";
import { startHttpSink, type HttpSink } from "../support/http-sink.ts";

interface Running {
  started: StartedProject;
  fake: FakeProvider;
  sink: HttpSink;
  dir: string;
}
let current: Running | undefined;

afterEach(async () => {
  if (!current) return;
  await current.started.stack.dispose();
  await current.fake.close();
  await current.sink.close();
  await rm(current.dir, { recursive: true, force: true });
  current = undefined;
});

/** Starts an example the way `npm start <name>` does (fake provider with the example's plans, a webhook receiver). */
async function startExample(name: string): Promise<Running> {
  const planFile = path.join(REPO_ROOT, "examples", name, "fake-plan.json");
  const plans = existsSync(planFile) ? (JSON.parse(readFileSync(planFile, "utf8")) as { plans: FakePlan[] }).plans : [];
  const fake = await startFakeProvider({ plans });
  const sink = await startHttpSink();
  const dir = await mkdtemp(path.join(tmpdir(), `ktsu-example-${name}-`));
  const started = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "examples", name),
    stateDir: dir,
    port: 0,
    environment: { ...process.env, KTSU_FAKE_PROVIDER_URL: fake.url, EXAMPLE_WEBHOOK_URL: `${sink.url}/hook` },
  });
  current = { started, fake, sink, dir };
  return current;
}

function ktsu(args: string[], url: URL): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; stdout: () => string } {
  const child = spawn(binPath("ktsu"), [...args, "--orchestrator", url.href.replace(/\/$/, "")], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}:${process.env.PATH}`, NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return { done: new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr }))), stdout: () => stdout };
}

/** The JSON printed after `run complete …` and `output (step <id>):` (the last completed step's output). */
function finalOutput(stdout: string): unknown {
  const tail = stdout.slice(stdout.indexOf("run complete"));
  const marker = tail.indexOf("output (step ");
  return JSON.parse(tail.slice(tail.indexOf("\n", marker) + 1));
}

describe("examples, offline, through ktsu invoke --wait", () => {
  it("hello greets by name", async () => {
    const { started } = await startExample("hello");
    const { code, stdout } = await ktsu(["invoke", "hello", "--input", '{"name":"Kyle"}', "--wait"], started.stack.url).done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/step greet\s+complete/);
    expect(finalOutput(stdout)).toEqual({ greeting: "Hello, Kyle!" });
  });

  it("triage runs an agent, a transform, a webhook and a sub-workflow", async () => {
    const { started, sink } = await startExample("triage");
    const { code, stdout } = await ktsu(["invoke", "triage", "--input", '{"ticket":"Checkout gives me a 500","customer":"ACME"}', "--wait"], started.stack.url)
      .done;
    expect(code).toBe(0);
    for (const id of ["classify", "record", "page_oncall", "file"]) expect(stdout).toMatch(new RegExp(`step ${id}\\s+complete`));
    expect(sink.calls.map((c) => c.path)).toEqual(["/hook/page"]);
    expect(JSON.parse(sink.calls[0]!.body)).toEqual({ customer: "ACME", summary: "Checkout fails with a 500 error", category: "bug" });
    // The envelope names the model the agent's group resolved to.
    const base = started.stack.url.href.replace(/\/$/, "");
    const { runs } = (await (await fetch(`${base}/runs?workflow=triage`)).json()) as { runs: { id: string }[] };
    expect(runs).toHaveLength(1);
    const envelope = (await (await fetch(`${base}/runs/${encodeURIComponent(runs[0]!.id)}/envelope`)).json()) as Envelope;
    expect(envelope.steps?.find((s) => s.id === "classify")?.metrics.model_resolved).toBe("fake/fake-model");
  });

  it("fanout explains each topic and deduplicates", async () => {
    const { started } = await startExample("fanout");
    const { code, stdout } = await ktsu(["invoke", "research", "--input", '{"topics":["tides","rainbows","tides","auroras"]}', "--wait"], started.stack.url)
      .done;
    expect(code).toBe(0);
    expect(finalOutput(stdout)).toEqual({ result: ["topic: Topic: tides", "topic: Topic: rainbows", "topic: Topic: auroras"] });
  });

  it("kv-notes stores and reads a note through the kv MCP server", async () => {
    const { started, fake } = await startExample("kv-notes");
    const { code, stdout } = await ktsu(["invoke", "remember", "--input", '{"topic":"coffee","fact":"Ethiopian, light roast"}', "--wait"], started.stack.url)
      .done;
    expect(code).toBe(0);
    expect(finalOutput(stdout)).toEqual({ key: "coffee", value: "Ethiopian, light roast" });
    // The third model call saw the kv server's answer to `get`.
    const last = JSON.stringify(fake.calls.at(-1)!.body);
    expect(last).toContain("Ethiopian, light roast");
  });

  it("approval suspends the delete until `ktsu approve`, then completes", async () => {
    const { started } = await startExample("approval");
    const waiting = ktsu(["invoke", "cleanup", "--input", '{"key":"old-cache"}', "--wait"], started.stack.url);
    const pending = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /approve: ktsu approve (run_[0-9a-f]{16}) clean/.exec(waiting.stdout());
        if (match) {
          clearInterval(timer);
          resolve(match[1]!);
        }
      }, 100);
      // A bound for a run that never asks, generous for a busy machine.
      setTimeout(() => reject(new Error(`no approval printed:\n${waiting.stdout()}`)), 120_000);
    });
    const listed = await ktsu(["approvals"], started.stack.url).done;
    expect(listed.stdout).toContain("delete");
    const approved = await ktsu(["approve", pending, "clean"], started.stack.url).done;
    expect(approved.code).toBe(0);
    const { code, stdout } = await waiting.done;
    expect(code).toBe(0);
    expect(finalOutput(stdout)).toEqual({ key: "old-cache", deleted: true });
  });

  it("queue starts one run per Idempotency-Key", async () => {
    const { started, sink } = await startExample("queue");
    const order = (id: string) =>
      JSON.stringify({
        order_id: id,
        items: [
          { sku: "tea", qty: 2 },
          { sku: "cup", qty: 1 },
        ],
      });
    const send = async (id: string) => {
      const res = await fetch(new URL("/enqueue/ingest", started.stack.url), {
        method: "POST",
        headers: { "idempotency-key": `order-${id}` },
        body: order(id),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { run_id: string }).run_id;
    };
    const first = await send("1001");
    expect(await send("1001")).toBe(first); // the retry names the same run
    // A later order: the queue hands messages over in order, so once its run is complete the
    // retried message has been handled too, and a second run of order 1001 would exist by now.
    const later = await send("1002");
    expect(await runStatus(started.stack.url, first)).toBe("complete");
    expect(await runStatus(started.stack.url, later)).toBe("complete");
    const { stdout } = await ktsu(["runs", "--workflow", "ingest"], started.stack.url).done;
    const listed = stdout
      .trim()
      .split("\n")
      .filter((l) => l.includes("ingest"));
    expect(listed).toHaveLength(2);
    expect(listed.filter((l) => l.includes(first))).toHaveLength(1);
    expect(sink.calls.map((c) => [c.path, JSON.parse(c.body)])).toEqual([
      ["/hook/orders/1001", { order_id: "1001", skus: ["tea", "cup"], units: 3 }],
      ["/hook/orders/1002", { order_id: "1002", skus: ["tea", "cup"], units: 3 }],
    ]);
  });
});

/** Polls `GET /runs/{id}` until the run is no longer pending or running (the queue starts it); its status. */
async function runStatus(base: URL, runId: string): Promise<string> {
  const deadline = Date.now() + 120_000; // a bound for a run that never ends, generous for a busy machine
  for (;;) {
    const res = await fetch(new URL(`/runs/${runId}`, base));
    const status = res.status === 200 ? ((await res.json()) as { run: { status: string } }).run.status : "";
    if ((status !== "" && status !== "pending" && status !== "running") || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
}
