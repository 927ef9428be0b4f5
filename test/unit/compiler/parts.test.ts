// The compiler's building blocks: expression scanning, the DAG, path rules,
// durations, allowlist syntax, YAML positions, the memory fs, the workflow
// tree, and the bundle validator helper.

import { describe, expect, it } from "vitest";
import { compileProject } from "../../../shared/compiler/compile.ts";
import { executionLayers, findCycles, stepDependencies, stepReferences } from "../../../shared/compiler/dag.ts";
import { formatFieldPath } from "../../../shared/compiler/diagnostics.ts";
import { parseGoDuration } from "../../../shared/compiler/durations.ts";
import { namespaceRefs, placeholders, wholeParamRef } from "../../../shared/compiler/expressions.ts";
import { createMemoryFs } from "../../../shared/compiler/fs.ts";
import { createAjv } from "../../../shared/compiler/json-schema.ts";
import { allowlistPatternProblem } from "../../../shared/compiler/allowlist.ts";
import { join, normalize, relative } from "../../../shared/compiler/paths.ts";
import { resolveAgentRef, resolveServerPath, resolveWorkflowRef, stripVersion } from "../../../shared/compiler/resolve.ts";
import { workflowTree } from "../../../shared/compiler/tree.ts";
import { parseYaml } from "../../../shared/compiler/yaml.ts";
import { runValidator } from "../../../shared/schema/validate.ts";
import type { Validator } from "../../../shared/bundle.ts";

describe("expressions", () => {
  it("finds step, env and params names in JMESPath, including hyphenated and quoted ids", () => {
    expect(namespaceRefs('step.search-hn.repos[0] && step."my-id".x', "step")).toEqual(["search-hn", "my-id"]);
    expect(namespaceRefs("length(step.a.items) > `2` && params.x == 'step.b'", "step")).toEqual(["a"]);
    expect(namespaceRefs("item.step.x || step_two.y", "step")).toEqual([]);
    expect(namespaceRefs("env.API_KEY != null && params.user", "env")).toEqual(["API_KEY"]);
    expect(namespaceRefs("params.user", "params")).toEqual(["user"]);
  });

  it("reads placeholders and whole {{ params.KEY }} refs", () => {
    expect(placeholders("Hi {{ params.a }} and {{params.b}}")).toEqual(["params.a", "params.b"]);
    expect(wholeParamRef("  {{ params.token }} ")).toBe("token");
    expect(wholeParamRef("Bearer {{ params.token }}")).toBeUndefined();
    expect(wholeParamRef("{{ env.X }}")).toBeUndefined();
  });
});

describe("step DAG", () => {
  const step = {
    depends_on: ["a"],
    condition: "step.b.ok",
    params: { q: "{{ step.c.query }}", lit: "step.not_a_template", n: 3 },
    input: { rows: "step.d.rows" },
    for_each: { from: "step.e.items" },
    webhook: { url: "https://x/{{ step.f.id }}", body: { v: "step.g.v", e: "env:X" } },
    transform: { inputs: [{ from: "h" }], ops: [{ merge: ["i"] }, { filter: { expr: "step.zz" } }] },
  };

  it("stepDependencies collects explicit and implicit edges without duplicates", () => {
    expect(stepDependencies(step)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i"]);
    expect(stepDependencies({ depends_on: ["x", "x"], condition: "step.x.y" })).toEqual(["x"]);
    expect(stepDependencies({})).toEqual([]);
  });

  it("stepReferences says where each reference is", () => {
    const refs = stepReferences(step).map((r) => `${r.step}@${formatFieldPath(r.path)}${r.explicit ? "!" : ""}`);
    expect(refs).toEqual([
      "a@depends_on[0]!",
      "b@condition",
      "c@params.q",
      "d@input.rows",
      "e@for_each.from",
      "f@webhook.url",
      "g@webhook.body.v",
      "h@transform.inputs[0].from",
      "i@transform.ops[0].merge[0]",
    ]);
  });

  it("reports one node per cycle and layers the rest like Kahn's algorithm", () => {
    const nodes = [
      { id: "a", dependencies: ["c"] },
      { id: "b", dependencies: [] },
      { id: "c", dependencies: ["a"] },
      { id: "s", dependencies: ["s"] },
      { id: "d", dependencies: ["b", "unknown"] },
    ];
    expect(findCycles(nodes)).toEqual(["a", "s"]);
    expect(findCycles([{ id: "x", dependencies: [] }])).toEqual([]);
    const diamond = [
      { id: "A", dependencies: [] },
      { id: "B", dependencies: ["A"] },
      { id: "C", dependencies: ["A"] },
      { id: "D", dependencies: ["B", "C"] },
    ];
    expect(executionLayers(diamond)).toEqual([["A"], ["B", "C"], ["D"]]);
    expect(executionLayers(nodes)).toEqual([["b"]]);
  });
});

describe("paths and references", () => {
  it("normalizes POSIX paths", () => {
    expect(join("/p", "workflows", "../agents/./a.yaml")).toBe("/p/agents/a.yaml");
    expect(normalize("/../x//y/")).toBe("/x/y");
    expect(relative("/p", "/p/agents/a.yaml")).toBe("agents/a.yaml");
    expect(relative("/p/q", "/p/r/s")).toBe("../r/s");
  });

  it("strips @version at the last @ and uses absolute agent paths as is", () => {
    expect(stripVersion("a/b.yaml@1.0.0")).toBe("a/b.yaml");
    expect(stripVersion("a/b.yaml")).toBe("a/b.yaml");
    expect(resolveAgentRef("/p", "./agents/x.agent.yaml@2")).toBe("/p/agents/x.agent.yaml");
    expect(resolveAgentRef("/p", "/shared/x.agent.yaml")).toBe("/shared/x.agent.yaml");
  });

  it("resolves server paths from the agent's dir, absolute paths as is or under the project", () => {
    const fs = createMemoryFs({ "/p/agents/s.server.yaml": "", "/abs/t.server.yaml": "", "/p/opt/u.server.yaml": "" });
    expect(resolveServerPath(fs, "/p", "/p/agents/a.agent.yaml", "s.server.yaml").path).toBe("/p/agents/s.server.yaml");
    expect(resolveServerPath(fs, "/p", "/p/agents/a.agent.yaml", "/abs/t.server.yaml").path).toBe("/abs/t.server.yaml");
    expect(resolveServerPath(fs, "/p", "/p/agents/a.agent.yaml", "/opt/u.server.yaml").path).toBe("/p/opt/u.server.yaml");
  });

  it("resolves sub-workflow refs against the referencing file", () => {
    expect(resolveWorkflowRef("/p/workflows/a.workflow.yaml", "./sub/b.workflow.yaml")).toBe("/p/workflows/sub/b.workflow.yaml");
    expect(resolveWorkflowRef("/p/workflows/a.workflow.yaml", "../lib/c.workflow.yaml")).toBe("/p/lib/c.workflow.yaml");
  });

  it("compiles a project whose agent lives at an absolute path outside the project", () => {
    const fs = createMemoryFs({
      "/p/workflows/w.workflow.yaml": "pipeline:\n  - id: a\n    agent: /lib/agents/x.agent.yaml\n",
      "/lib/agents/x.agent.yaml": "model: m\noutput:\n  schema: { type: object }\n",
    });
    const result = compileProject(fs, { projectDir: "/p" });
    expect(result.report.errors).toEqual([]);
    expect(result.bundle?.workflows.w?.pipeline[0]).toMatchObject({ agent: "../lib/agents/x.agent.yaml" });
    expect(Object.keys(result.bundle?.agents ?? {})).toEqual(["../lib/agents/x.agent.yaml"]);
  });

  it("lists a memory fs directory", () => {
    const fs = createMemoryFs({ "/p/a.yaml": "", "/p/d/b.yaml": "" });
    expect(fs.list("/p")).toEqual(["a.yaml", "d"]);
    expect(fs.list("/nope")).toEqual([]);
  });
});

describe("syntax helpers", () => {
  it("parses Go durations", () => {
    expect(parseGoDuration("30m")).toBe(1_800_000);
    expect(parseGoDuration("1h30m")).toBe(5_400_000);
    expect(parseGoDuration("1.5s")).toBe(1500);
    expect(parseGoDuration("0")).toBe(0);
    expect(parseGoDuration("90")).toBeUndefined();
    expect(parseGoDuration("10 minutes")).toBeUndefined();
    expect(parseGoDuration("")).toBeUndefined();
  });

  it("accepts exact, prefix* and * allowlist entries only", () => {
    expect(allowlistPatternProblem("search")).toBeUndefined();
    expect(allowlistPatternProblem("fetch_*")).toBeUndefined();
    expect(allowlistPatternProblem("*")).toBeUndefined();
    expect(allowlistPatternProblem("a*b")).toMatch(/only allowed at the end/);
    expect(allowlistPatternProblem("*x")).toMatch(/only allowed at the end/);
    expect(allowlistPatternProblem("a?")).toMatch(/not supported/);
    expect(allowlistPatternProblem("[ab]")).toMatch(/not supported/);
  });

  it("locates field paths in YAML", () => {
    const parsed = parseYaml("a: 1\nlist:\n  - x: 1\n    y: 2\n");
    if (!parsed.ok) throw new Error("parse failed");
    expect(parsed.yaml.locate(["list", 0, "y"])).toEqual({ line: 4, column: 5 });
    expect(parsed.yaml.locate(["list", 0, "missing"])).toEqual({ line: 3, column: 5 });
    const broken = parseYaml("a: [1\n");
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.errors[0]?.position?.line).toBe(2);
  });
});

describe("workflow tree", () => {
  it("shows sub-workflows, agents and servers, and marks what cannot be resolved", () => {
    const fs = createMemoryFs({
      "/p/workflows/w.workflow.yaml": [
        "pipeline:",
        "  - { id: a, agent: agents/a.agent.yaml }",
        "  - { id: s, workflow: ./sub.workflow.yaml }",
        "  - { id: h, workflow: owner/name }",
      ].join("\n"),
      "/p/workflows/sub.workflow.yaml": "pipeline:\n  - { id: m, agent: agents/missing.agent.yaml }\n  - { id: loop, workflow: ./w.workflow.yaml }\n",
      "/p/agents/a.agent.yaml": "servers:\n  - { name: t, path: ../servers/t.server.yaml }\n",
      "/p/servers/t.server.yaml": "url: http://x\n",
    });
    expect(workflowTree(fs, "/p/workflows/w.workflow.yaml", "/p")).toEqual({
      path: "workflows/w.workflow.yaml",
      kind: "workflow",
      children: [
        { path: "agents/a.agent.yaml", kind: "agent", children: [{ path: "servers/t.server.yaml", kind: "server" }] },
        {
          path: "workflows/sub.workflow.yaml",
          kind: "workflow",
          children: [
            { path: "agents/missing.agent.yaml", kind: "agent", error: "file not found" },
            { path: "workflows/w.workflow.yaml", kind: "workflow", error: "workflow cycle" },
          ],
        },
        { path: "owner/name", kind: "workflow", error: "hub-installed workflow references are not yet supported" },
      ],
    });
  });
});

describe("runValidator", () => {
  it("turns ajv errors into { path, message, keyword } entries", () => {
    const validate = createAjv().compile({
      type: "object",
      required: ["greeting"],
      properties: { greeting: { type: "string" }, n: { type: "integer" } },
    }) as Validator;
    expect(runValidator(validate, { greeting: "hi" })).toEqual([]);
    expect(runValidator(validate, { n: 1.5 })).toEqual([
      { path: "/greeting", message: "is required", keyword: "required" },
      { path: "/n", message: "must be integer", keyword: "type" },
    ]);
  });
});
