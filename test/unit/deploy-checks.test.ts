// `ktsu deploy`'s decisions that need no Cloudflare: the names, which secrets
// go up or are missing, which workflows are public, which egress hosts cannot be known.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../../shared/compiler/compile.ts";
import { nodeProjectFs } from "../../cli/src/fs.ts";
import { resolveSecrets, strayPublicNames, unstatedPublicWorkflows } from "../../cli/src/deploy/checks.ts";
import { deployNames, projectName, slug } from "../../cli/src/deploy/names.ts";
import { deployPlan } from "../../cli/src/deploy/plan.ts";
import { parseSecretsFile } from "../../cli/src/deploy/secrets.ts";
import { renderUnknownHosts, unknownEgressHosts } from "../../cli/src/stack/egress-warnings.ts";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";

const scratch = mkdtempSync(path.join(tmpdir(), "ktsu-deploy-unit-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("deployment names", () => {
  it("come from package.json's name (scope dropped), else the directory, and the environment", () => {
    const named = path.join(scratch, "Some Dir");
    mkdirSync(named);
    expect(projectName(named)).toEqual({ name: "some-dir", from: `the directory name of ${named}` });
    writeFileSync(path.join(named, "package.json"), JSON.stringify({ name: "@acme/Order_Bot" }));
    expect(projectName(named).name).toBe("order-bot");
    const names = deployNames(named, "staging");
    expect(names.workers).toEqual({
      orchestrator: "order-bot-staging-orchestrator",
      runtime: "order-bot-staging-runtime",
      gateway: "order-bot-staging-gateway",
      tools: "order-bot-staging-tools",
    });
    expect([names.database, names.queue, names.deadLetterQueue]).toEqual(["order-bot-staging", "order-bot-staging-runs", "order-bot-staging-runs-dlq"]);
    expect(deployNames(named, "production").workers.orchestrator).toBe("order-bot-production-orchestrator");
  });

  it("refuse an environment Cloudflare names cannot hold, and names too long", () => {
    expect(() => deployNames(scratch, "Prod")).toThrow(/--environment "Prod": use lower-case letters/);
    expect(() => deployNames(scratch, `e${"x".repeat(60)}`)).toThrow(/too long for Cloudflare names/);
    expect(slug("--Hello  World!--")).toBe("hello-world");
  });
});

describe("secrets and public workflows", () => {
  const compiled = compileProject(nodeProjectFs(), { projectDir: path.join(REPO_ROOT, "test", "fixtures", "cli-project") });
  const plan = deployPlan(compiled.bundle!, { SINK_URL: "https://hooks.example.com" });

  it("uploads given secrets, keeps set ones, and names the missing ones", () => {
    const resolved = resolveSecrets(
      plan,
      { INVOKE_SECRET: "s1", KTSU_ADMIN_TOKEN: "given-token" },
      { orchestrator: new Set(["SINK_TOKEN", "KTSU_STATE_KEY"]), gateway: new Set() },
      true,
      { INVOKE_SECRET: "the environment", KTSU_ADMIN_TOKEN: "secrets.env" },
    );
    expect(resolved.upload).toEqual({ orchestrator: { INVOKE_SECRET: "s1", KTSU_ADMIN_TOKEN: "given-token" }, gateway: {} });
    expect(resolved.missing.map((v) => `${v.worker}:${v.name}`)).toEqual(["gateway:PROVIDER_API_KEY"]);
    expect(resolved.generatedAdminToken).toBeUndefined();
    expect(resolved.status).toContain("SINK_TOKEN (orchestrator): already set, kept");
    // Where each value came from is said, so a value exported for another environment is noticed.
    expect(resolved.status).toContain("INVOKE_SECRET (orchestrator): uploaded with the Worker (from the environment)");
    expect(resolved.status).toContain("KTSU_ADMIN_TOKEN (orchestrator): uploaded with the Worker (from secrets.env)");
  });

  it("generates the admin token and the state key when neither given nor set, and only on a real deploy", () => {
    const real = resolveSecrets(plan, {}, { orchestrator: new Set(), gateway: new Set() }, true);
    expect(real.generatedAdminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(real.upload.orchestrator.KTSU_ADMIN_TOKEN).toBe(real.generatedAdminToken);
    expect(real.upload.orchestrator.KTSU_STATE_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(real.upload.orchestrator.KTSU_STATE_KEY).not.toBe(real.generatedAdminToken);
    const dry = resolveSecrets(plan, {}, null, false);
    expect(dry.generatedAdminToken).toBeUndefined();
    expect(dry.upload.orchestrator).toEqual({});
  });

  it("a non-secret variable without default must come from --env (or be set already)", () => {
    const withoutEnv = deployPlan(compiled.bundle!, {});
    expect(resolveSecrets(withoutEnv, {}, null, false).missing.map((v) => v.name)).toContain("SINK_URL");
    expect(resolveSecrets(plan, {}, null, false).missing.map((v) => v.name)).not.toContain("SINK_URL");
  });

  it("lists root workflows without invoke.auth that --public does not name, and --public names that match none", () => {
    expect(unstatedPublicWorkflows(compiled.bundle!, [])).toEqual(["broken", "gated", "greet", "hidden"]);
    expect(unstatedPublicWorkflows(compiled.bundle!, ["broken", "gated", "greet", "hidden"])).toEqual([]);
    expect(strayPublicNames(compiled.bundle!, ["greet", "secured", "nope"])).toEqual(["secured", "nope"]);
  });

  it("reads NAME=value secrets files and JSON ones", () => {
    const env = path.join(scratch, "s.env");
    writeFileSync(env, "# comment\nexport A=1\nB=\"two words\"\nC='x=y'\n");
    expect(parseSecretsFile(env)).toEqual({ A: "1", B: "two words", C: "x=y" });
    const json = path.join(scratch, "s.json");
    writeFileSync(json, JSON.stringify({ A: "1", N: 2 }));
    expect(parseSecretsFile(json)).toEqual({ A: "1" });
  });
});

describe("egress hosts that cannot be known", () => {
  const project = path.join(scratch, "egress");
  mkdirSync(path.join(project, "workflows"), { recursive: true });
  writeFileSync(
    path.join(project, "workflows", "hook.workflow.yaml"),
    `name: hook
env:
  - name: OUTPUT_WEBHOOK_URL
    secret: true
  - name: PLAIN_URL
  - name: DEFAULTED_URL
    default: https://known.example.com
pipeline:
  - id: to-secret
    webhook:
      url: "{{ env.OUTPUT_WEBHOOK_URL }}"
      body: {}
  - id: to-plain
    webhook:
      url: "{{ env.PLAIN_URL }}/x"
      body: {}
  - id: to-default
    webhook:
      url: "{{ env.DEFAULTED_URL }}/y"
      body: {}
  - id: to-static
    webhook:
      url: https://static.example.com/z
      body: {}
`,
  );
  const compiled = compileProject(nodeProjectFs(), { projectDir: project });

  it("names each webhook step whose host comes from a secret or an unset variable, and says how to allow it", () => {
    expect(compiled.ok).toBe(true);
    expect(unknownEgressHosts(compiled.bundle!, {}).map((h) => h.where)).toEqual([
      'webhook step "to-secret" of workflow hook',
      'webhook step "to-plain" of workflow hook',
    ]);
    // A value for the plain variable makes its host known; the secret's never is.
    expect(unknownEgressHosts(compiled.bundle!, { PLAIN_URL: "https://plain.example.com" }).map((h) => h.where)).toEqual([
      'webhook step "to-secret" of workflow hook',
    ]);
    const [line] = renderUnknownHosts(unknownEgressHosts(compiled.bundle!, {}), ["static.example.com"]);
    expect(line).toBe(
      'warning: webhook step "to-secret" of workflow hook: its URL is built from secret OUTPUT_WEBHOOK_URL ({{ env.OUTPUT_WEBHOOK_URL }}), so its host cannot be known before it runs and the gateway refuses it unless allowed: list its host in KTSU_EGRESS_ALLOW (comma-separated; in the env file, the environment, or `ktsu deploy --egress-allow HOST`) (the allowlist now: static.example.com)',
    );
    expect(unknownEgressHosts(compiled.bundle!, {})[1]!.why).toBe("its URL is built from PLAIN_URL (no value here: give it one with --env)");
  });

  it("the examples name no unknown host", () => {
    for (const example of ["hello", "kv-notes", "queue", "triage"]) {
      const bundle = compileProject(nodeProjectFs(), { projectDir: path.join(REPO_ROOT, "examples", example) }).bundle!;
      expect(unknownEgressHosts(bundle, {})).toEqual([]);
    }
  });
});
