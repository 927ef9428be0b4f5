// The `ktsu` binary end to end (validate, workflow tree, build) and the
// bundle module it writes, imported in Node.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProject } from "../../../cli/src/build/index.ts";
import type { BundleModule } from "../../../shared/bundle.ts";
import { runValidator } from "../../../shared/schema/validate.ts";

const root = resolve(import.meta.dirname, "../../..");
const bin = resolve(root, "node_modules/.bin");
const fixture = (name: string): string => resolve(root, "test/fixtures/projects", name);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the installed `ktsu` with the project's Node 22 first on PATH. */
function ktsu(...args: string[]): Run {
  const result = spawnSync(join(bin, "ktsu"), args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, KTSU_PROJECT_DIR: "" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "ktsu-cli-"));
});
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

describe("ktsu validate", () => {
  it("prints the grouped report for examples/hello and exits 0", () => {
    const run = ktsu("validate", "examples/hello");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Workflows:\n  OKAY  workflows/hello.workflow.yaml");
    expect(run.stdout).toContain("Agents:\n  OKAY  agents/greeter.agent.yaml");
    expect(run.stdout).toContain("Servers:\n  (none)");
    expect(run.stdout).toContain("Systems:\n  OKAY  gateway.yaml");
    expect(run.stdout).toContain("Summary: 3 total, 3 valid, 0 invalid");
  });

  it("lists every error of a broken project and exits 1", () => {
    const run = ktsu("validate", "--project-dir", fixture("bad-dag"));
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("  FAIL  workflows/dag.workflow.yaml");
    const errorLines = run.stdout.split("\n").filter((line) => line.trim().startsWith("error: "));
    expect(errorLines).toHaveLength(15);
    expect(run.stdout).toContain('error: workflows/dag.workflow.yaml:10:18: pipeline[1].depends_on[0]: step "b" depends on unknown step "x"');
    expect(run.stdout).toContain('error: workflows/dag.workflow.yaml:4:5: pipeline[0]: cycle detected at node "a"');
    expect(run.stdout).toContain("Summary: 3 total, 2 valid, 1 invalid");
    expect(run.stderr).toContain("validation failed");
  });

  it("checks the --env file and prints warnings", () => {
    const run = ktsu("validate", fixture("bad-yaml"), "--env", join(fixture("bad-yaml"), "environments/dev.env.yaml"));
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("  FAIL  environments/dev.env.yaml");
    const warned = ktsu("validate", fixture("bad-gateway"));
    expect(warned.stdout).toContain(
      'warning: workflows/ok.workflow.yaml:5:7: pipeline[0].model.group: model group "missing-group" is not declared in gateway.yaml',
    );
  });

  it("warns about each webhook whose host the egress allowlist cannot know, naming the step and how to allow it", () => {
    const project = resolve(root, "test/fixtures/cli-project");
    const run = ktsu("validate", project);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      'warning: webhook step "notify" of workflow greet: its URL is built from SINK_URL (no value here: give it one with --env) ({{ env.SINK_URL }}/notify), so its host cannot be known before it runs and the gateway refuses it unless allowed: list its host in KTSU_EGRESS_ALLOW',
    );
    // With the env file's value the host is known.
    const withEnv = ktsu("validate", project, "--env", join(project, "environments/dev.env.yaml"));
    expect(withEnv.stderr).not.toContain('webhook step "notify"');
  });

  it("prints Mermaid with --graph", () => {
    const hello = ktsu("validate", "examples/hello", "--graph");
    expect(hello.status).toBe(0);
    expect(hello.stdout).toBe('%% workflows/hello.workflow.yaml\ngraph TD\n  greet["greet [agent]"]\n');

    const dag = ktsu("validate", fixture("bad-dag"), "--graph");
    expect(dag.status).toBe(1);
    expect(dag.stdout).toContain('  untyped["untyped [unknown]"]:::failed');
    expect(dag.stdout).toContain('  b["b [webhook]"]:::failed');
    expect(dag.stdout).toContain("  a --> c");
    expect(dag.stdout).toContain("  classDef failed");
  });

  it("says so when there are no workflows", () => {
    const run = ktsu("validate", fixture("empty"));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no workflow files found in ${join(fixture("empty"), "workflows")}`);
  });
});

describe("ktsu workflow tree", () => {
  it("prints JSON {path, kind, children?}", () => {
    const run = ktsu("workflow", "tree", join(fixture("valid-full"), "workflows/main.workflow.yaml"), "--json");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      path: "workflows/main.workflow.yaml",
      kind: "workflow",
      children: [
        { path: "agents/searcher.agent.yaml", kind: "agent", children: [{ path: "servers/search.server.yaml", kind: "server" }] },
        { path: "agents/summarizer.agent.yaml", kind: "agent", children: [{ path: "servers/tools.server.yaml", kind: "server" }] },
        {
          path: "workflows/sub/report.workflow.yaml",
          kind: "workflow",
          children: [
            { path: "agents/writer.agent.yaml", kind: "agent" },
            { path: "shared/noop.workflow.yaml", kind: "workflow" },
          ],
        },
      ],
    });
  });

  it("prints a text tree", () => {
    const run = ktsu("workflow", "tree", "examples/hello/workflows/hello.workflow.yaml");
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("workflows/hello.workflow.yaml (workflow)\n└── agents/greeter.agent.yaml (agent)\n");
  });
});

describe("ktsu build", () => {
  it("refuses a broken project with the report and writes nothing", () => {
    const target = join(out, "broken/bundle.js");
    const run = ktsu("build", fixture("bad-secrets"), "--out", target);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("  FAIL  workflows/secrets.workflow.yaml");
    expect(run.stdout).toContain("error: workflows/secrets.workflow.yaml:16:7: pipeline[0].params.key:");
    expect(existsSync(target)).toBe(false);
  });

  describe("the bundle module", () => {
    let file: string;
    let text: string;
    let bundle: BundleModule;
    beforeAll(async () => {
      file = join(out, "nested/dir/full.js");
      // The fixture's hub lock names ~/.ktsu/cache/acme-tools, a workspace no test machine has installed.
      const run = ktsu("build", fixture("valid-full"), "--out", file, "--no-hub-lock");
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(`wrote ${file}\n`);
      text = readFileSync(file, "utf8");
      bundle = (await import(pathToFileURL(file).href)) as BundleModule;
    });

    it("exports only project and validators", async () => {
      const module = await import(pathToFileURL(file).href);
      expect(Object.keys(module).sort()).toEqual(["project", "validators"]);
      expect(bundle.project.format).toBe("ktsu-bundle/1");
      expect(Object.keys(bundle.project.workflows)).toContain("main");
    });

    it("has a validator for every schema ref in the project", () => {
      const refs: string[] = [];
      JSON.stringify(bundle.project, (key, value: unknown) => {
        if (key === "validator" && typeof value === "string") refs.push(value);
        return value;
      });
      expect(refs.length).toBeGreaterThanOrEqual(10);
      expect([...new Set(refs)].sort()).toEqual(Object.keys(bundle.validators).sort());
    });

    it("validates: valid data passes, invalid data fails with paths", () => {
      const key = bundle.project.agents["agents/summarizer.agent.yaml"]!.output.validator;
      const validate = bundle.validators[key]!;
      expect(validate({ summary: "short", tone: "neutral", tags: [{ a: 1 }, { a: 2 }] })).toBe(true);
      expect(validate({ summary: "x".repeat(501), tone: "angry", tags: [{ a: 1 }, { a: 1 }] })).toBe(false);
      expect(validate.errors?.map((e) => [e.instancePath, e.keyword])).toEqual([
        ["/summary", "maxLength"],
        ["/tone", "enum"],
        ["/tags", "uniqueItems"],
      ]);
      const params = bundle.validators[bundle.project.workflows.main!.params.schema!.validator]!;
      expect(runValidator(params, {})).toEqual([{ path: "/topic", message: "is required", keyword: "required" }]);
      expect(runValidator(params, { topic: 7 })).toEqual([{ path: "/topic", message: "must be string", keyword: "type" }]);
    });

    it("needs no eval, YAML or schema compilation at runtime", () => {
      expect(text).not.toMatch(/new Function|\beval\(|\brequire\(/);
      expect(text).not.toMatch(/from ["'](yaml|ajv)["']/);
      expect(text).not.toMatch(/\bimport\b/);
    });
  });

  it("buildProject() validates and writes the module programmatically", async () => {
    const outFile = join(out, "hello.js");
    const result = await buildProject({ projectDir: resolve(root, "examples/hello"), outFile });
    expect(result).toMatchObject({ ok: true, outFile });
    expect(result.report.summary).toEqual({ total: 3, valid: 3, invalid: 0 });
    const module = (await import(pathToFileURL(outFile).href)) as BundleModule;
    const step = module.project.workflows.hello!.pipeline[0]!;
    expect(module.validators[step.output!.validator]!({ greeting: "hello" })).toBe(true);
    expect(module.validators[step.output!.validator]!({})).toBe(false);

    const failed = await buildProject({ projectDir: fixture("bad-env"), outFile: join(out, "never.js") });
    expect(failed.ok).toBe(false);
    expect(failed.report.summary.invalid).toBe(4);
    expect(existsSync(join(out, "never.js"))).toBe(false);
  });
});
