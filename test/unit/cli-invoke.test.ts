// `ktsu invoke --wait` against a scripted stand-in orchestrator: the approval
// paths (which need an LLM on the real stack), exit codes and --json. The real
// stack paths are in test/stack/cli.test.ts.
import { spawn } from "node:child_process";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";

interface Scripted {
  /** Events sent at once on connect. */
  now: object[];
  /** Events sent after a pause (the run going on after a decision), then the stream closes. */
  later?: object[];
}

const RUN = "run_00000000000000aa";
const decisions: { run: string; step: string; body: string }[] = [];
const cancels: string[] = [];
/** What the stand-in answers a cancel of these runs (else 200). */
const CANCEL_REFUSALS: Record<string, [number, object]> = {
  run_done: [409, { error: "conflict", message: "run already ended (complete)" }],
  run_nope: [404, { error: "not_found", message: "run not found" }],
};

function ev(seq: number, type: string, step_id?: string, data?: Record<string, unknown>) {
  return {
    run_id: RUN,
    seq,
    type,
    ...(step_id ? { step_id } : {}),
    ...(data ? { data } : {}),
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq * 100)).toISOString(),
  };
}

const SCRIPTS: Record<string, Scripted> = {
  approval: {
    now: [
      ev(1, "run_started"),
      ev(2, "step_started", "write"),
      ev(3, "approval_pending", "write", { tool_name: "kv_set", arguments: { key: "greeting", value: "hi" } }),
    ],
    later: [
      ev(4, "approval_decided", "write", { decision: "approved", tool_name: "kv_set" }),
      ev(5, "step_completed", "write", { status: "complete", duration_ms: 1234, cost_usd: 0.0021 }),
      ev(6, "run_completed", undefined, { status: "complete" }),
    ],
  },
  waiting: {
    now: [ev(1, "run_started"), ev(2, "step_started", "write"), ev(3, "approval_pending", "write", { tool_name: "kv_set", arguments: { key: "k" } })],
  },
  cancelled: {
    now: [ev(1, "run_started"), ev(2, "step_started", "think")],
    later: [ev(3, "step_cancelled", "think"), ev(4, "run_cancelled", undefined, { status: "cancelled", error: "cancelled by request" })],
  },
  human: {
    now: [
      ev(1, "run_started"),
      ev(2, "step_started", "review"),
      ev(3, "step_needs_human", "review", { status: "needs_human", duration_ms: 10, cost_usd: 0.001, error: "needs_human_review" }),
      ev(4, "run_needs_human", undefined, { status: "needs_human", error: "needs_human_review" }),
    ],
  },
};

const ENVELOPE = {
  run_id: RUN,
  workflow: "approval",
  status: "complete",
  steps: [
    {
      id: "write",
      output: { stored: true },
      metrics: { duration_ms: 1234, tokens_in: 0, tokens_out: 0, cost_usd: 0.0021, llm_calls: 1, tool_calls: 1 },
      timestamp: "2026-01-01T00:00:01Z",
      status: "complete",
    },
  ],
  totals: { duration_ms: 1234, tokens_in: 0, tokens_out: 0, cost_usd: 0.0021, llm_calls: 1, tool_calls: 1 },
};

let server: Server;
let url: string;
let workflowOfRun = "";

function sse(res: ServerResponse, script: Scripted): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (events: object[]) => {
    for (const e of events as { seq: number; type: string }[]) res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  };
  send(script.now);
  if (script.later) {
    setTimeout(() => {
      send(script.later!);
      res.end();
    }, 400);
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "http://x");
      const invoke = /^\/invoke\/(.+)$/.exec(u.pathname);
      if (req.method === "POST" && invoke) {
        workflowOfRun = decodeURIComponent(invoke[1]!);
        res.writeHead(202, { "content-type": "application/json" });
        return res.end(JSON.stringify({ run_id: RUN, status: "accepted" }));
      }
      if (u.pathname === `/runs/${RUN}/events`) return sse(res, SCRIPTS[workflowOfRun]!);
      if (u.pathname === `/runs/${RUN}/envelope`) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ ...ENVELOPE, workflow: workflowOfRun }));
      }
      const cancel = /^\/runs\/([^/]+)\/cancel$/.exec(u.pathname);
      if (req.method === "POST" && cancel) {
        const runId = decodeURIComponent(cancel[1]!);
        cancels.push(runId);
        const [status, answer] = CANCEL_REFUSALS[runId] ?? [200, { run_id: runId, status: "cancelled" }];
        return res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(answer));
      }
      const decide = /^\/runs\/([^/]+)\/steps\/([^/]+)\/approval\/decide$/.exec(u.pathname);
      if (req.method === "POST" && decide) {
        decisions.push({ run: decodeURIComponent(decide[1]!), step: decodeURIComponent(decide[2]!), body });
        return res.writeHead(200).end();
      }
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not_found", message: "no such route" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function ktsu(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "cli", "bin", "ktsu.js"), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", KTSU_ORCHESTRATOR_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("ktsu invoke --wait and approvals", () => {
  it("keeps waiting on a pending approval by default, shows the tool and the commands, then finishes when it is decided", async () => {
    const r = await ktsu(["invoke", "approval", "--wait", "--orchestrator", url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `run_id: ${RUN}`,
        `approval pending: step write wants to call kv_set {"key":"greeting","value":"hi"}`,
        `  approve: ktsu approve ${RUN} write --orchestrator ${url}`,
        `  reject:  ktsu reject ${RUN} write --orchestrator ${url}`,
        "approval approved: step write (kv_set)",
        "step write             complete        1.23s  $0.002100",
        "run complete in 500ms (1 step, $0.002100)",
        "output (step write):",
        "{",
        '  "stored": true',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("with --no-block-on-approval, stops at the pending approval with exit 2", async () => {
    // The fake run is decided and completes 400 ms later: a CLI that waited would see that and exit 0.
    const r = await ktsu(["invoke", "approval", "--wait", "--no-block-on-approval"], { KTSU_ORCHESTRATOR_URL: url });
    expect(r.code).toBe(2);
    // The URL came from the environment, so the printed commands need no --orchestrator.
    expect(r.stdout).toContain(`  approve: ktsu approve ${RUN} write\n`);
    expect(r.stdout).toContain(`run ${RUN} is waiting for a human decision; not waiting (--no-block-on-approval)`);
    expect(r.stdout).not.toContain("approval approved");
  });

  it("a needs_human halt prints how to decide it and exits 2 with --no-block-on-approval", async () => {
    const r = await ktsu(["invoke", "human", "--wait", "--no-block-on-approval", "--orchestrator", url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("step review            needs_human      10ms  $0.001000\n");
    expect(r.stdout).toContain("step review asks for a human review (ktsu_needs_human)\n");
    expect(r.stdout).toContain(`  reject:  ktsu reject ${RUN} review --orchestrator ${url}\n`);
  });

  it("--timeout gives up with exit 2 while an approval is pending", async () => {
    const r = await ktsu(["invoke", "waiting", "--wait", "--timeout", "1", "--orchestrator", url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`invoke: gave up waiting after 1s; run ${RUN} is waiting for a human decision`);
  });

  it("--json puts only the envelope on stdout and the progress on stderr", async () => {
    const r = await ktsu(["invoke", "approval", "--wait", "--json", "--orchestrator", url]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ...ENVELOPE, workflow: "approval" });
    expect(r.stderr).toContain(`run_id: ${RUN}\n`);
    expect(r.stderr).toContain("run complete");
  });

  it("approve and reject post the decision to the decide route", async () => {
    decisions.length = 0;
    const approve = await ktsu(["approve", "run_a/child", "step one", "--orchestrator", url]);
    const reject = await ktsu(["reject", RUN, "write", "--orchestrator", url]);
    expect([approve.code, reject.code]).toEqual([0, 0]);
    expect(approve.stdout).toBe("approved: run run_a/child step step one\n");
    expect(reject.stdout).toBe(`rejected: run ${RUN} step write\n`);
    expect(decisions).toEqual([
      { run: "run_a/child", step: "step one", body: '{"decision":"approved"}' },
      { run: RUN, step: "write", body: '{"decision":"rejected"}' },
    ]);
  });
});

describe("ktsu cancel", () => {
  it("posts to the cancel route and says so; a run that ended or is unknown is refused with exit 1", async () => {
    cancels.length = 0;
    const ok = await ktsu(["cancel", "run_a/child", "--orchestrator", url]);
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, "cancelled: run run_a/child\n", ""]);
    const ended = await ktsu(["cancel", "run_done", "--orchestrator", url]);
    expect([ended.code, ended.stderr]).toEqual([1, "cancel: run run_done cannot be cancelled: run already ended (complete) (status 409)\n"]);
    const unknown = await ktsu(["cancel", "run_nope", "--orchestrator", url]);
    expect([unknown.code, unknown.stderr]).toEqual([1, "cancel: run run_nope not found (status 404); ktsu runs lists the runs\n"]);
    expect(cancels).toEqual(["run_a/child", "run_done", "run_nope"]);
  });

  it("invoke --wait following a run that gets cancelled reports it and exits 1", async () => {
    const r = await ktsu(["invoke", "cancelled", "--wait", "--orchestrator", url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("step think             cancelled");
    expect(r.stdout).toContain("run cancelled in 300ms (1 step, $0.000000): cancelled by request\n");
  });
});
