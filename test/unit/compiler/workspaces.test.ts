// Workspaces: `--workspace DIR` and the hub lock's cache dirs add other
// projects' workflows to the one bundle. Lookup order is the project first,
// then the workspaces in order; a workflow's agent refs resolve inside its own
// workspace; the lock is optional, skipped with a warning when it does not
// parse, and ignored with --no-hub-lock.

import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProject } from "../../../cli/src/build/index.ts";
import { nodeProjectFs } from "../../../cli/src/fs.ts";
import { renderWorkspaceNotes } from "../../../cli/src/report/print.ts";
import type { BundleModule, CompiledAgentStep, ProjectBundle } from "../../../shared/bundle.ts";
import { type CompileOptions, compileProject, type CompileResult } from "../../../shared/compiler/compile.ts";
import { formatDiagnostic } from "../../../shared/compiler/diagnostics.ts";

const root = resolve(import.meta.dirname, "../../..");
const bin = resolve(root, "node_modules/.bin");
const ws = (name: string): string => resolve(root, "test/fixtures/workspaces", name);
const PRIMARY = ws("primary");
const TOOLS = ws("tools-ws");
const OTHER = ws("other-ws");
const HUB = ws("hub-cache/acme-report");

function compile(options: Partial<CompileOptions> & { projectDir: string }): CompileResult {
  return compileProject(nodeProjectFs(), { hubLock: "load", homeDir: "/nonexistent-home", ...options });
}

/** invoke name → the YAML `name` of the workflow that answers it. */
function served(bundle: ProjectBundle | undefined): Record<string, string> {
  const names: Record<string, string> = {};
  for (const workflow of Object.values(bundle?.workflows ?? {})) if (workflow.invoke_name) names[workflow.invoke_name] = workflow.name;
  return names;
}

function agentOf(bundle: ProjectBundle, invokeName: string) {
  const step = bundle.workflows[invokeName]?.pipeline[0] as CompiledAgentStep;
  return bundle.agents[step.agent];
}

describe("lookup order", () => {
  let result: CompileResult;
  beforeAll(() => {
    result = compile({ projectDir: PRIMARY, workspaces: [TOOLS, OTHER], hubLock: "ignore" });
  });

  it("serves the project's workflows and every workspace's, in one valid bundle", () => {
    expect(result.report.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(served(result.bundle)).toEqual({
      greet: "greet",
      summarize: "summarize-primary",
      translate: "translate-tools",
      detect: "detect-other",
    });
  });

  it("gives a name to the project first: its summarize wins over the workspace's", () => {
    expect(result.bundle?.workflows.summarize?.path).toBe("workflows/summarize.workflow.yaml");
    const shadowed = result.report.files.find((f) => f.file === "../tools-ws/workflows/summarize.workflow.yaml");
    expect(shadowed?.status).toBe("OKAY");
    expect(shadowed?.warnings.map((w) => w.message)).toEqual([
      'workflow "summarize" is also defined by workflows/summarize.workflow.yaml, which comes first in the lookup order: this one cannot be invoked',
    ]);
    // Not invokable, so not bundled (nothing runs it by path either).
    expect(Object.values(result.bundle?.workflows ?? {}).map((w) => w.path)).not.toContain("../tools-ws/workflows/summarize.workflow.yaml");
  });

  it("then the workspaces in the order given: the first --workspace's translate wins over the second's", () => {
    expect(result.bundle?.workflows.translate?.path).toBe("../tools-ws/workflows/translate.workflow.yaml");
    const reversed = compile({ projectDir: PRIMARY, workspaces: [OTHER, TOOLS], hubLock: "ignore" });
    expect(served(reversed.bundle).translate).toBe("translate-other");
  });

  it("resolves a workspace workflow's agent in its own dir, though the project has the same path", () => {
    const bundle = result.bundle as ProjectBundle;
    expect(agentOf(bundle, "greet")).toMatchObject({ name: "primary-greeter", path: "agents/greeter.agent.yaml" });
    expect(agentOf(bundle, "translate")).toMatchObject({ name: "tools-greeter", path: "../tools-ws/agents/greeter.agent.yaml" });
    // ...and that agent's server relative to the agent file, inside the workspace.
    expect(agentOf(bundle, "translate")?.servers[0]?.server).toBe("../tools-ws/servers/echo.server.yaml");
    expect(bundle.servers["../tools-ws/servers/echo.server.yaml"]?.url).toBe("https://echo.tools.example/mcp");
  });

  it("reports workspace workflows after the project's, workspace by workspace", () => {
    const workflows = result.report.files.filter((f) => f.group === "Workflows").map((f) => f.file);
    expect(workflows).toEqual([
      "workflows/greet.workflow.yaml",
      "workflows/summarize.workflow.yaml",
      "../tools-ws/workflows/summarize.workflow.yaml",
      "../tools-ws/workflows/translate.workflow.yaml",
      "../other-ws/workflows/detect.workflow.yaml",
      "../other-ws/workflows/translate.workflow.yaml",
    ]);
    expect(result.report.workspaces).toEqual([TOOLS, OTHER]);
  });

  it("leaves a project without workspaces as it was", () => {
    const alone = compile({ projectDir: PRIMARY, hubLock: "ignore" });
    expect(served(alone.bundle)).toEqual({ greet: "greet", summarize: "summarize-primary" });
    expect(alone.report.workspaces).toEqual([]);
    expect(alone.report.files.map((f) => f.file)).toEqual([
      "workflows/greet.workflow.yaml",
      "workflows/summarize.workflow.yaml",
      "agents/greeter.agent.yaml",
      "gateway.yaml",
    ]);
  });
});

describe("ktsuhub.lock.yaml", () => {
  it("loads every entry's cache dir as a workspace, after the --workspace dirs", () => {
    const result = compile({ projectDir: PRIMARY, workspaces: [TOOLS] });
    expect(result.ok).toBe(true);
    expect(result.report.workspaces).toEqual([TOOLS, HUB]);
    expect(served(result.bundle).report).toBe("report");
    expect(agentOf(result.bundle as ProjectBundle, "report")).toMatchObject({ name: "acme-reporter" });
    expect(result.report.warnings.filter((w) => w.file === "ktsuhub.lock.yaml")).toEqual([]);
  });

  it("is ignored with --no-hub-lock: no workspace, and the file is not read", () => {
    const result = compile({ projectDir: PRIMARY, hubLock: "ignore" });
    expect(served(result.bundle).report).toBeUndefined();
    expect(result.report.files.map((f) => f.file)).not.toContain("ktsuhub.lock.yaml");
  });

  it("is optional: a project without one loads silently", () => {
    const result = compile({ projectDir: TOOLS });
    expect(result.ok).toBe(true);
    expect(result.report.warnings.map(formatDiagnostic)).toEqual([]);
    expect(result.report.files.map((f) => f.file)).not.toContain("ktsuhub.lock.yaml");
  });

  it("that does not parse is a warning naming the file, and is skipped; the project still builds", () => {
    const result = compile({ projectDir: ws("broken-lock") });
    expect(result.ok).toBe(true);
    expect(served(result.bundle)).toEqual({ solo: "solo" });
    const lock = result.report.files.find((f) => f.file === "ktsuhub.lock.yaml");
    expect(lock?.status).toBe("OKAY");
    expect(lock?.warnings.length).toBeGreaterThan(0);
    for (const warning of lock?.warnings ?? []) {
      expect(formatDiagnostic(warning)).toMatch(/^ktsuhub\.lock\.yaml:2:1: parse hub lock: .+; the hub lock was skipped: none of its workspaces are loaded$/);
    }
  });

  it("that does not parse is reported on stderr by start, build and deploy, which go on", () => {
    const notes = renderWorkspaceNotes(compile({ projectDir: ws("broken-lock") }).report, "ktsu build");
    expect(notes).toMatch(/^ktsu build: warning: ktsuhub\.lock\.yaml:2:1: parse hub lock: .+; the hub lock was skipped: none of its workspaces are loaded\n/);
    expect(renderWorkspaceNotes(compile({ projectDir: TOOLS }).report, "ktsu")).toBe("");
  });

  describe("entries, in a copy of the project", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "ktsu-hub-"));
      cpSync(ws("broken-lock"), join(dir, "project"), { recursive: true });
      cpSync(HUB, join(dir, "home", ".ktsu", "cache", "acme-report"), { recursive: true });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("expand ~/ to the home dir, and warn about a cache dir that holds no workflows", () => {
      writeFileSync(
        join(dir, "project", "ktsuhub.lock.yaml"),
        "entries:\n  - name: acme/report\n    cache: ~/.ktsu/cache/acme-report\n  - name: acme/gone\n    cache: ~/.ktsu/cache/gone\n",
      );
      const result = compile({ projectDir: join(dir, "project"), homeDir: join(dir, "home") });
      expect(result.ok).toBe(true);
      expect(result.report.workspaces).toEqual([join(dir, "home", ".ktsu", "cache", "acme-report")]);
      expect(served(result.bundle)).toEqual({ solo: "solo", report: "report" });
      expect(result.report.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
        'entries[1].cache: workspace ~/.ktsu/cache/gone has no workflows/*.workflow.yaml (is "acme/gone" installed?); nothing is loaded from it',
      ]);
    });
  });
});

describe("a workspace workflow with errors", () => {
  it("fails validation like the project's own, and names its file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ktsu-ws-bad-"));
    try {
      cpSync(OTHER, dir, { recursive: true });
      writeFileSync(join(dir, "workflows", "detect.workflow.yaml"), "name: detect\npipeline:\n  - id: run\n    agent: agents/missing.agent.yaml\n");
      const result = compile({ projectDir: PRIMARY, workspaces: [dir], hubLock: "ignore" });
      expect(result.ok).toBe(false);
      const bad = result.report.errors.find((e) => e.message.includes("missing.agent.yaml"));
      expect(bad?.file.endsWith("/workflows/detect.workflow.yaml")).toBe(true);
      expect(bad?.file.startsWith("../")).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs the installed `ktsu` with the project's Node 22 first on PATH. */
function ktsu(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(join(bin, "ktsu"), args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, KTSU_PROJECT_DIR: "" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Each spawn starts Node and loads the CLI: slow on a busy machine, hence the generous limits.
describe("the CLI", () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "ktsu-ws-cli-"));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("ktsu validate --workspace checks the workspace's files and the hub lock's", { timeout: 60_000 }, () => {
    const run = ktsu("validate", PRIMARY, "--workspace", TOOLS);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("  OKAY  ../tools-ws/workflows/translate.workflow.yaml");
    expect(run.stdout).toContain("  OKAY  ../hub-cache/acme-report/workflows/report.workflow.yaml");
    expect(run.stdout).toContain('warning: ../tools-ws/workflows/summarize.workflow.yaml:1:1: workflow "summarize" is also defined by');
  });

  it("ktsu validate --no-hub-lock leaves the lock's workspaces out", { timeout: 60_000 }, () => {
    const run = ktsu("validate", PRIMARY, "--no-hub-lock");
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain("hub-cache");
    expect(run.stdout).not.toContain("ktsuhub.lock.yaml");
  });

  it("refuses a --workspace that is not a directory", { timeout: 60_000 }, () => {
    const run = ktsu("validate", PRIMARY, "--workspace", ws("no-such-dir"));
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`ktsu: --workspace ${ws("no-such-dir")}: not a directory\n`);
  });

  it("ktsu build --workspace writes one bundle with the workspaces' workflows and says which were loaded", { timeout: 60_000 }, async () => {
    const file = join(out, "bundle.js");
    const run = ktsu("build", PRIMARY, "--out", file, "--workspace", TOOLS, "--workspace", OTHER);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`ktsu build: workspaces: ${TOOLS}, ${OTHER}, ${HUB}\n`);
    const module = (await import(pathToFileURL(file).href)) as BundleModule;
    expect(served(module.project)).toEqual({
      greet: "greet",
      summarize: "summarize-primary",
      translate: "translate-tools",
      detect: "detect-other",
      report: "report",
    });
  });

  it("buildProject (what start and deploy call) passes the workspaces and --no-hub-lock through", async () => {
    const built = await buildProject({ projectDir: PRIMARY, outFile: join(out, "api.js"), workspaces: [OTHER], hubLock: false });
    expect(built.ok).toBe(true);
    expect(served(built.bundle)).toEqual({ greet: "greet", summarize: "summarize-primary", translate: "translate-other", detect: "detect-other" });
    const withLock = await buildProject({ projectDir: PRIMARY, outFile: join(out, "api2.js") });
    expect(served(withLock.bundle).report).toBe("report");
  });
});
