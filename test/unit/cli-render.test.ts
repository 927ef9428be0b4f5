import { stripVTControlCharacters } from "node:util";
// Pure parts of the user-facing commands: tables, formats, --input checks,
// the --wait progress lines and what `ktsu deploy` asks for.
process.env.TZ = "UTC";

import path from "node:path";
import { describe, expect, it } from "vitest";
import { nodeProjectFs } from "../../cli/src/fs.ts";
import { compileProject } from "../../shared/compiler/compile.ts";
import type { RunRecord } from "../../shared/contracts/records.ts";
import { errorLine, ApiError, orchestratorUrl, UnreachableError } from "../../cli/src/client/orchestrator.ts";
import { approvalsTable } from "../../cli/src/commands/approvals.ts";
import { declaredVariables, deployPlan } from "../../cli/src/deploy/plan.ts";
import { finalOutput, InputError, parseHeaders, readInput } from "../../cli/src/commands/invoke.ts";
import { runsTable } from "../../cli/src/commands/runs.ts";
import { goSeconds, renderTable, shortDuration, truncate } from "../../cli/src/render/format.ts";
import { RunProgress } from "../../cli/src/render/progress.ts";
import { styleFor } from "../../cli/src/render/style.ts";
import { wranglerDeployArgs } from "../../cli/src/stack/build-workers.ts";
import { heartbeatVars } from "../../cli/src/stack/heartbeat-vars.ts";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";

function run(id: string, status: RunRecord["status"], created: string, updated: string, workflow = "hello"): RunRecord {
  return { id, workflow_name: workflow, status, created_at: created, updated_at: updated };
}

describe("tables and formats", () => {
  it("renders the runs table as the original did: duration updated − created for complete/failed only, rounded to the second", () => {
    const table = runsTable([
      run("run_00000000000000a1", "complete", "2026-01-02T03:04:05Z", "2026-01-02T03:05:10.600Z"),
      run("run_00000000000000a2", "failed", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.400Z", "a-longer-name"),
      run("run_00000000000000a3", "running", "2026-01-02T03:04:05Z", "2026-01-02T09:04:05Z"),
      run("run_00000000000000a4", "needs_human", "2026-01-02T03:04:05Z", "2026-01-02T09:04:05Z"),
    ]);
    expect(table).toBe(
      [
        "RUN ID                WORKFLOW       STATUS       STARTED              DURATION",
        "run_00000000000000a1  hello          complete     2026-01-02 03:04:05  1m6s",
        "run_00000000000000a2  a-longer-name  failed       2026-01-02 03:04:05  0s",
        "run_00000000000000a3  hello          running      2026-01-02 03:04:05  -",
        "run_00000000000000a4  hello          needs_human  2026-01-02 03:04:05  -",
        "",
      ].join("\n"),
    );
    expect(runsTable([])).toBe("RUN ID  WORKFLOW  STATUS  STARTED  DURATION\n");
  });

  it("formats durations like Go (rounded seconds) and short step durations", () => {
    expect([0, 499, 500, 59_400, 65_000, 3_723_000].map(goSeconds)).toEqual(["0s", "0s", "1s", "59s", "1m5s", "1h2m3s"]);
    expect([0, 999, 1000, 1234, 61_500].map(shortDuration)).toEqual(["0ms", "999ms", "1.00s", "1.23s", "1m01s"]);
    expect(truncate("a\n  b c", 10)).toBe("a b c");
    expect(truncate("abcdefghijkl", 5)).toBe("abcd…");
    expect(renderTable(["A", "B"], [["x", ""]])).toBe("A  B\nx\n");
  });

  it("lists approvals with the arguments truncated", () => {
    const table = approvalsTable(
      [
        {
          run_id: "run_1",
          step_id: "write",
          seq: 1,
          tool_name: "kv_set",
          tool_use_id: "t1",
          arguments: { key: "k", value: "x".repeat(100) },
          on_reject: "fail",
          timeout_ms: 0,
          timeout_behavior: "fail",
          status: "pending",
          created_at: "2026-01-02T03:04:05Z",
          partial_metrics: { duration_ms: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0, llm_calls: 0, tool_calls: 0 },
        },
      ],
      30,
    );
    expect(table).toBe(
      ["RUN ID  STEP   TOOL    ARGUMENTS                       CREATED", 'run_1   write  kv_set  {"key":"k","value":"xxxxxxxxx…  2026-01-02 03:04:05', ""].join(
        "\n",
      ),
    );
  });
});

describe("invoke's input checks and error lines", () => {
  it("accepts a JSON object (default {}), refuses anything else with a clear message", () => {
    expect(readInput(undefined)).toBe("{}");
    expect(readInput(' {"a": 1} ')).toBe(' {"a": 1} ');
    expect(readInput("-", () => '{"from":"stdin"}')).toBe('{"from":"stdin"}');
    expect(readInput(`@${path.join(REPO_ROOT, "package.json")}`)).toContain('"name": "ktsu-workers"');
    expect(() => readInput("[1]")).toThrow(new InputError(`--input must be a JSON object, not an array; e.g. --input '{"name":"world"}'`));
    expect(() => readInput("null")).toThrow(/not null/);
    expect(() => readInput('"text"')).toThrow(/not a string/);
    expect(() => readInput("{nope")).toThrow(/^--input is not valid JSON \(/);
    expect(() => readInput("@/does/not/exist.json")).toThrow("--input: cannot read /does/not/exist.json: ENOENT");
  });

  it("parses -H headers", () => {
    expect(parseHeaders(["Authorization: Bearer x:y", "X-Trace:1"])).toEqual({ Authorization: "Bearer x:y", "X-Trace": "1" });
    expect(() => parseHeaders(["no colon"])).toThrow(InputError);
  });

  it("formats errors as `<command>: <message> (status N)`", () => {
    expect(errorLine("invoke", new ApiError(422, 'input missing required field "name"', "invalid_input"))).toBe(
      'invoke: input missing required field "name" (status 422)',
    );
    expect(errorLine("runs", new ApiError(502, undefined, undefined))).toBe("runs: orchestrator returned status 502");
    expect(errorLine("runs", new UnreachableError("http://x", new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })))).toBe(
      "runs: cannot reach the orchestrator at http://x (ECONNREFUSED)",
    );
    expect(orchestratorUrl(undefined, {})).toBe("http://localhost:5050");
    expect(orchestratorUrl(undefined, { KTSU_ORCHESTRATOR_URL: "" })).toBe("http://localhost:5050");
    expect(orchestratorUrl(undefined, { KTSU_ORCHESTRATOR_URL: "https://k.example/" })).toBe("https://k.example");
    expect(orchestratorUrl("http://flag:1", { KTSU_ORCHESTRATOR_URL: "https://k.example" })).toBe("http://flag:1");
  });

  it("takes the final output from the last completed step", () => {
    const envelope = {
      run_id: "r",
      workflow: "w",
      steps: [
        { id: "a", output: { n: 1 }, metrics: {} as never, timestamp: "", status: "complete" },
        { id: "b", output: { n: 2 }, metrics: {} as never, timestamp: "", status: "complete" },
        { id: "c", output: {}, metrics: {} as never, timestamp: "", status: "skipped" },
      ],
      totals: {} as never,
    };
    expect(finalOutput(envelope)).toEqual({ step: "b", output: { n: 2 } });
    expect(finalOutput({ ...envelope, steps: null })).toBeUndefined();
  });
});

describe("the --wait progress lines", () => {
  const at = "2026-01-01T00:00:00Z";
  it("prints one line per settled step, plain or styled, and tracks what the run waits on", () => {
    const p = new RunProgress({ runId: "run_1", commandArgs: ["--orchestrator", "http://h:1"] });
    const lines = [
      { seq: 1, type: "run_started" as const },
      { seq: 2, type: "step_started" as const, step_id: "a" },
      { seq: 3, type: "step_completed" as const, step_id: "a", data: { status: "complete", duration_ms: 1500, cost_usd: 0.25 } },
      { seq: 4, type: "step_skipped" as const, step_id: "b", data: { status: "skipped", duration_ms: 0, cost_usd: 0 } },
      { seq: 5, type: "approval_pending" as const, step_id: "c", data: { tool_name: "rm", arguments: { path: "/tmp/it's" } } },
    ].flatMap<string>((e) => p.onEvent({ run_id: "run_1", created_at: at, ...e }));
    expect(lines).toEqual([
      "step a                 complete        1.50s  $0.250000",
      "step b                 skipped             -  -",
      `approval pending: step c wants to call rm {"path":"/tmp/it's"}`,
      "  approve: ktsu approve run_1 c --orchestrator http://h:1",
      "  reject:  ktsu reject run_1 c --orchestrator http://h:1",
    ]);
    expect(p.waitingOnHuman).toBe(true);
    expect(p.spinnerText(Date.now())).toBe("waiting for a decision on c (ktsu approvals)");
    p.onEvent({ run_id: "run_1", seq: 6, type: "approval_decided", step_id: "c", data: { decision: "rejected" }, created_at: at });
    expect(p.waitingOnHuman).toBe(false);
    expect(
      p.onEvent({
        run_id: "run_1",
        seq: 7,
        type: "step_failed",
        step_id: "c",
        data: { status: "failed", duration_ms: 3, cost_usd: 0, error: "rejected" },
        created_at: at,
      }),
    ).toEqual(["step c                 failed            3ms  $0.000000  error: rejected"]);
    p.onEvent({ run_id: "run_1", seq: 8, type: "run_failed", data: { error: "agent step failed" }, created_at: at });
    expect([p.outcome, p.error, p.settledSteps, p.lastSeq]).toEqual(["failed", "agent step failed", 3, 8]);
  });

  it("names the sub-run and its step for an approval raised inside a sub-workflow", () => {
    const p = new RunProgress({ runId: "run_1" });
    const data = { tool_name: "rm", sub_run_id: "run_1/call", sub_step_id: "inner" };
    expect(p.onEvent({ run_id: "run_1", seq: 1, type: "approval_pending", step_id: "call", data, created_at: at })).toEqual([
      "approval pending: step call (sub-run run_1/call, step inner) wants to call rm",
      "  approve: ktsu approve run_1/call inner",
      "  reject:  ktsu reject run_1/call inner",
    ]);
    expect(p.waitingOnHuman).toBe(true);
    const review = p.onEvent({
      run_id: "run_1",
      seq: 2,
      type: "step_needs_human",
      step_id: "call",
      data: { sub_run_id: "run_1/call", sub_step_id: "draft" },
      created_at: at,
    });
    expect(review.at(-1)).toBe("  reject:  ktsu reject run_1/call draft");
    expect(p.settledSteps).toBe(0); // the parent's step is still running
  });

  it("quotes ids in the printed commands and uses symbols and colors on a TTY", () => {
    const p = new RunProgress({ runId: "run_1/sub step", style: styleFor(true) });
    expect(p.command("approve", "it's")).toBe(`ktsu approve 'run_1/sub step' 'it'\\''s'`);
    const [line] = p.onEvent({ run_id: "x", seq: 1, type: "step_completed", step_id: "a", data: { duration_ms: 5, cost_usd: 0 }, created_at: at });
    expect(line).toContain("\x1b[");
    expect(stripVTControlCharacters(line!)).toBe("✔ a                 complete          5ms  $0.000000");
  });
});

describe("what ktsu deploy asks for", () => {
  const compiled = compileProject(nodeProjectFs(), { projectDir: path.join(REPO_ROOT, "test", "fixtures", "cli-project") });

  it("collects the declared variables per Worker: root workflows and invoke.auth on the orchestrator, gateway.yaml on the gateway", () => {
    expect(compiled.ok).toBe(true);
    expect(declaredVariables(compiled.bundle!).map((v) => [v.worker, v.name, v.secret, v.hasDefault])).toEqual([
      ["orchestrator", "INVOKE_SECRET", true, false],
      ["orchestrator", "SINK_TOKEN", true, false],
      ["orchestrator", "SINK_URL", false, false],
      ["gateway", "PROVIDER_API_KEY", true, false],
      ["gateway", "PROVIDER_URL", false, true],
    ]);
  });

  it("deploys env-file values of plain variables as vars, never secrets, and passes the egress allowlist", () => {
    const plan = deployPlan(
      compiled.bundle!,
      { SINK_URL: "https://hooks.example.com", SINK_TOKEN: "secret!", KTSU_EGRESS_ALLOW: "hooks.example.com" },
      "api.example.org",
    );
    expect(plan.vars.orchestrator).toEqual({ SINK_URL: "https://hooks.example.com" });
    expect(plan.vars.gateway).toEqual({ KTSU_EGRESS_ALLOW: "api.example.org,hooks.example.com" });
    expect(plan.secrets.map((v) => v.name)).toEqual(["INVOKE_SECRET", "SINK_TOKEN", "PROVIDER_API_KEY"]);
    expect(plan.secretsInEnvFile.map((v) => v.name)).toEqual(["SINK_TOKEN"]);
    expect(plan.unset).toEqual([]);
    expect(JSON.stringify(plan.vars)).not.toContain("secret!");
  });

  it("deploys the heartbeat pair to the Workers that read it: the interval to the runtime, the timeout to the orchestrator", () => {
    const plan = deployPlan(
      compiled.bundle!,
      { SINK_URL: "https://hooks.example.com" },
      undefined,
      heartbeatVars({ KTSU_HEARTBEAT_INTERVAL_MS: "2500", KTSU_HEARTBEAT_TIMEOUT_MS: "20000" }),
    );
    expect(plan.vars.runtime).toEqual({ KTSU_HEARTBEAT_INTERVAL_MS: "2500" });
    expect(plan.vars.orchestrator).toEqual({ KTSU_HEARTBEAT_TIMEOUT_MS: "20000", SINK_URL: "https://hooks.example.com" });
  });

  it("runs wrangler deploy with --dry-run unless uploading, the project alias and the plain vars", () => {
    expect(wranglerDeployArgs("w.jsonc", "out/w", "b.js")).toEqual([
      "deploy",
      "--dry-run",
      "--outdir",
      "out/w",
      "-c",
      "w.jsonc",
      "--alias",
      "ktsu-project:b.js",
    ]);
    expect(wranglerDeployArgs("w.jsonc", "out/w", "b.js", { upload: true, vars: { SINK_URL: "https://h.example/x:1" } })).toEqual([
      "deploy",
      "--outdir",
      "out/w",
      "-c",
      "w.jsonc",
      "--alias",
      "ktsu-project:b.js",
      "--var",
      "SINK_URL:https://h.example/x:1",
    ]);
  });
});
