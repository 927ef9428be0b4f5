// The local stack's and `ktsu deploy`'s view of a project's variables: the
// env names `invoke.auth.secret` reads in either syntax, and webhook hosts
// whose env parts resolve (and only those).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { declaredVariables } from "../../../cli/src/deploy/plan.ts";
import { nodeProjectFs } from "../../../cli/src/fs.ts";
import { egressHosts, workerVars } from "../../../cli/src/stack/project-vars.ts";
import type { ProjectBundle } from "../../../shared/bundle.ts";
import { compileProject } from "../../../shared/compiler/compile.ts";

function project(files: Record<string, string>): ProjectBundle {
  const dir = mkdtempSync(join(tmpdir(), "ktsu-vars-"));
  try {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(dir, file, ".."), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    const result = compileProject(nodeProjectFs(), { projectDir: dir });
    if (!result.bundle) throw new Error(result.report.errors.map((e) => e.message).join("\n"));
    return result.bundle;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hook = (id: string, url: string) => `  - id: ${id}\n    webhook:\n      method: POST\n      url: "${url}"\n`;

const bundle = project({
  "workflows/modern.workflow.yaml": [
    "name: modern",
    "env:",
    "  - name: HOOK",
    "  - name: DEFAULTED",
    "    default: https://default.example",
    "params:",
    "  schema:",
    "    type: object",
    "    properties:",
    "      host: { type: string }",
    "      id: { type: string }",
    "invoke:",
    "  auth:",
    "    scheme: bearer",
    '    secret: "tok-{{ env.INVOKE_TOKEN }}"',
    "pipeline:",
    hook("a", "{{ env.HOOK }}/orders/{{ params.id }}"),
    hook("b", "https://{{ params.host }}/x"),
    hook("c", "{{ env.DEFAULTED }}"),
    hook("d", "https://static.example/p"),
    hook("e", "https://{{ env.HOOK || params.host }}/mixed"),
  ].join("\n"),
  "workflows/legacy.workflow.yaml": [
    "name: legacy",
    "env:",
    "  - name: LEGACY_HOOK",
    "invoke:",
    "  auth:",
    "    scheme: bearer",
    "    secret: env:LEGACY_TOKEN",
    "pipeline:",
    hook("a", "env:LEGACY_HOOK"),
  ].join("\n"),
});

const environment = { HOOK: "https://hook.example", LEGACY_HOOK: "https://legacy.example/in", INVOKE_TOKEN: "t1", LEGACY_TOKEN: "t2", OTHER: "x" };

describe("variables read by invoke.auth.secret", () => {
  it("reach the orchestrator in both syntaxes, undeclared or not", () => {
    expect(workerVars(bundle, environment).orchestrator).toEqual({
      HOOK: "https://hook.example",
      LEGACY_HOOK: "https://legacy.example/in",
      INVOKE_TOKEN: "t1",
      LEGACY_TOKEN: "t2",
    });
  });

  it("are listed as secrets for ktsu deploy", () => {
    const names = declaredVariables(bundle).filter((v) => v.declaredBy.some((by) => by.startsWith("invoke.auth")));
    expect(names.map((v) => [v.name, v.secret])).toEqual([
      ["INVOKE_TOKEN", true],
      ["LEGACY_TOKEN", true],
    ]);
  });
});

describe("egress hosts of webhook URLs", () => {
  it("resolve env parts (values or defaults), and skip hosts that depend on params", () => {
    expect(egressHosts(bundle, environment)).toEqual(["default.example", "hook.example", "legacy.example", "static.example"]);
  });
});
