// Every validation rule against the fixture projects: the valid projects
// compile cleanly, and each failing fixture reports exactly the listed errors,
// each naming its file, field path and reason, all in one pass.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { nodeProjectFs } from "../../../cli/src/fs.ts";
import { compileProject, type CompileResult } from "../../../shared/compiler/compile.ts";
import { formatDiagnostic, type Diagnostic } from "../../../shared/compiler/diagnostics.ts";

const root = resolve(import.meta.dirname, "../../..");
const fixture = (name: string): string => resolve(root, "test/fixtures/projects", name);

function compile(projectDir: string, envFile?: string): CompileResult {
  return compileProject(nodeProjectFs(), { projectDir, ...(envFile ? { envFile } : {}) });
}

/** [file, field path, fragment of the reason] */
type Expected = readonly [string, string, string];

function find(list: readonly Diagnostic[], [file, path, fragment]: Expected): Diagnostic | undefined {
  return list.find((d) => d.file === file && d.path === path && d.message.includes(fragment));
}

function listing(list: readonly Diagnostic[]): string {
  return list.map(formatDiagnostic).join("\n");
}

/** One test per expected error, plus one that the fixture reports those and nothing else. */
function describeFailingFixture(name: string, expected: readonly Expected[], envFile?: string): void {
  describe(`fixture ${name}`, () => {
    let result: CompileResult;
    beforeAll(() => {
      result = compile(fixture(name), envFile && resolve(fixture(name), envFile));
    });

    it.each(expected)("%s: %s: %s", (file, path, fragment) => {
      const match = find(result.report.errors, [file, path, fragment]);
      expect(match, `missing error; got:\n${listing(result.report.errors)}`).toBeDefined();
      const text = formatDiagnostic(match as Diagnostic);
      expect(text.startsWith(file)).toBe(true);
      expect(text).toContain(path === "" ? fragment : `${path}: `);
      expect(text).toContain(fragment);
    });

    it(`reports all ${expected.length} errors at once, and no others`, () => {
      expect(result.ok).toBe(false);
      expect(result.bundle).toBeUndefined();
      expect(result.report.errors.map(formatDiagnostic)).toHaveLength(expected.length);
      for (const file of new Set(expected.map(([f]) => f))) {
        expect(result.report.files.find((r) => r.file === file)?.status).toBe("FAIL");
      }
    });
  });
}

describe("valid projects", () => {
  it("examples/hello validates OKAY with no warnings and produces a bundle", () => {
    const result = compile(resolve(root, "examples/hello"));
    expect(listing(result.report.errors)).toBe("");
    expect(result.report.warnings).toEqual([]);
    expect(result.report.files.map((f) => `${f.status} ${f.file}`)).toEqual([
      "OKAY workflows/hello.workflow.yaml",
      "OKAY agents/greeter.agent.yaml",
      "OKAY gateway.yaml",
    ]);
    const wf = result.bundle?.workflows.hello;
    expect(wf?.params.required).toEqual(["name"]);
    expect(wf?.pipeline[0]).toMatchObject({ id: "greet", type: "agent", agent: "agents/greeter.agent.yaml" });
    expect(result.bundle?.gateway?.providers[0]).toMatchObject({
      name: "fake",
      type: "openai",
      config: { base_url: "{{ env.KTSU_FAKE_PROVIDER_URL }}/v1", api_key: "{{ env.KTSU_FAKE_API_KEY }}" },
    });
  });

  describe("valid-full", () => {
    let result: CompileResult;
    beforeAll(() => {
      result = compile(fixture("valid-full"), resolve(fixture("valid-full"), "environments/dev.env.yaml"));
    });

    it("has no errors and no warnings, and every file is OKAY", () => {
      expect(listing(result.report.errors)).toBe("");
      expect(listing(result.report.warnings)).toBe("");
      expect(result.report.files.every((f) => f.status === "OKAY")).toBe(true);
      expect(result.report.files.map((f) => f.file)).toEqual([
        "workflows/main.workflow.yaml",
        "shared/noop.workflow.yaml",
        "workflows/sub/report.workflow.yaml",
        "agents/searcher.agent.yaml",
        "agents/summarizer.agent.yaml",
        "agents/writer.agent.yaml",
        "servers/search.server.yaml",
        "servers/tools.server.yaml",
        "gateway.yaml",
        "servers.yaml",
        "ktsuhub.lock.yaml",
        "environments/dev.env.yaml",
      ]);
    });

    it("keys workflows by invoke name, or by path outside the workflow dir", () => {
      const bundle = result.bundle!;
      expect(Object.keys(bundle.workflows)).toEqual(["main", "workflows/sub/report.workflow.yaml", "shared/noop.workflow.yaml"]);
      expect(bundle.workflows.main?.invoke_name).toBe("main");
      expect(bundle.workflows["shared/noop.workflow.yaml"]?.invoke_name).toBeNull();
    });

    it("resolves refs (version stripped, ./ and ../ relative to the referencing file) and applies defaults", () => {
      const bundle = result.bundle!;
      const [search, perItem, combine, report, notify, hook] = bundle.workflows.main!.pipeline;
      expect(search).toMatchObject({ type: "agent", agent: "agents/searcher.agent.yaml", agent_ref: "agents/searcher.agent.yaml@1.2.0" });
      expect(search).toMatchObject({ model: { group: "fast", max_tokens: 1024 }, confidence_threshold: 0.5 });
      expect(perItem).toMatchObject({
        model: { group: "fast", max_tokens: 2048 },
        for_each: { from: "step.search.items", max_items: 5, concurrency: 2, max_failures: 1 },
      });
      expect(combine).toMatchObject({ type: "transform", dependencies: ["search", "per-item"] });
      expect(report).toMatchObject({ type: "workflow", workflow: "workflows/sub/report.workflow.yaml", webhooks_enabled: true, dependencies: ["combine"] });
      expect(notify).toMatchObject({ type: "webhook", webhook: { method: "POST", timeout_s: 10 }, dependencies: ["report"] });
      expect(hook).toMatchObject({ on: "approval", webhook: { method: "POST", timeout_s: 30 } });
      const tidy = bundle.workflows["workflows/sub/report.workflow.yaml"]!.pipeline[2];
      expect(tidy).toMatchObject({ type: "workflow", workflow: "shared/noop.workflow.yaml" });
    });

    it("normalizes agents, approval rules, servers and gateway", () => {
      const bundle = result.bundle!;
      const searcher = bundle.agents["agents/searcher.agent.yaml"]!;
      expect(searcher.servers[0]).toEqual({
        name: "search",
        server: "servers/search.server.yaml",
        params: { api_key: "{{ params.token }}", region: "eu" },
        persistent_id: "searches-{{ params.query }}",
        allowlist: ["search", "fetch_*", "delete_item", "archive_item"],
        approval_rules: [
          { pattern: "delete_item", on_reject: "recover", timeout_ms: 1_800_000, timeout_behavior: "reject" },
          { pattern: "archive_item", on_reject: "fail", timeout_ms: 0, timeout_behavior: "fail" },
        ],
      });
      expect(bundle.agents["agents/writer.agent.yaml"]?.max_turns).toBe(10);
      expect(bundle.servers["servers/search.server.yaml"]?.params).toEqual([
        { name: "api_key", required: true, secret: true, description: "Upstream key." },
        { name: "region", required: false, secret: false, default: "us" },
      ]);
      expect(bundle.gateway?.model_groups.map((g) => g.strategy)).toEqual(["fallback", "cost_optimized"]);
      expect(bundle.workflows.main?.env).toEqual([
        { name: "API_TOKEN", secret: true },
        { name: "NOTIFY_URL", secret: false, default: "https://hooks.example.com/notify" },
      ]);
    });

    it("references every schema by a validator key that the schema map holds", () => {
      const { bundle, schemas } = result;
      const refs = [
        bundle!.workflows.main!.params.schema,
        bundle!.workflows.main!.pipeline[0]!.output,
        bundle!.workflows["workflows/sub/report.workflow.yaml"]!.output.schema,
        ...Object.values(bundle!.agents).flatMap((a) => [a.output, a.params.schema]),
      ];
      for (const ref of refs) {
        expect(ref).not.toBeNull();
        expect(schemas[ref!.validator]).toBe(ref!.schema);
      }
      expect(bundle!.workflows.main!.pipeline[0]!.output?.validator).toBe("workflows/main.workflow.yaml#pipeline[0].output.schema");
    });
  });
});

describe("failing fixtures", () => {
  describeFailingFixture("bad-dag", [
    ["workflows/dag.workflow.yaml", "pipeline[1].depends_on[0]", 'step "b" depends on unknown step "x"'],
    ["workflows/dag.workflow.yaml", "pipeline[1].condition", 'step "b" references unknown step "ghost"'],
    ["workflows/dag.workflow.yaml", "pipeline[1].webhook.url", 'references unknown step "phantom"'],
    ["workflows/dag.workflow.yaml", "pipeline[1].webhook.body.v", 'references unknown step "spirit"'],
    ["workflows/dag.workflow.yaml", "pipeline[2].transform.inputs[0].from", 'references unknown step "nowhere"'],
    ["workflows/dag.workflow.yaml", "pipeline[2].transform.ops[0].merge[0]", 'references unknown step "void"'],
    ["workflows/dag.workflow.yaml", "pipeline[7].for_each.from", 'step "fan" references unknown step "nope"'],
    ["workflows/dag.workflow.yaml", "pipeline[7].params.text", 'references unknown step "nada"'],
    ["workflows/dag.workflow.yaml", "pipeline[8].input.rows", 'references unknown step "absent"'],
    ["workflows/dag.workflow.yaml", "output.map.out", 'output.map references unknown step "missing"'],
    ["workflows/dag.workflow.yaml", "pipeline[0]", 'cycle detected at node "a"'],
    ["workflows/dag.workflow.yaml", "pipeline[3]", 'cycle detected at node "self"'],
    ["workflows/dag.workflow.yaml", "pipeline[4].id", 'duplicate step id "b" (first defined at pipeline[1])'],
    ["workflows/dag.workflow.yaml", "pipeline[5]", 'step "untyped" has no type'],
    ["workflows/dag.workflow.yaml", "pipeline[6]", 'step "both" sets several types (transform, webhook)'],
  ]);

  describeFailingFixture("bad-steps", [
    ["workflows/steps.workflow.yaml", "visibility", 'visibility must be "root" or "sub-workflow", got "private"'],
    ["workflows/steps.workflow.yaml", "webhooks", 'webhooks must be "execute" or "suppress", got "always"'],
    ["workflows/steps.workflow.yaml", "env[1].name", 'env var "TOKEN" is declared twice'],
    ["workflows/steps.workflow.yaml", "env[2].name", 'env name "1BAD" must match'],
    ["workflows/steps.workflow.yaml", "params.schema.properties.ktsu_mode", 'param name "ktsu_mode" uses the reserved ktsu_ prefix'],
    ["workflows/steps.workflow.yaml", "output.map.ktsu_secret", 'output field "ktsu_secret" uses the reserved ktsu_ prefix'],
    ["workflows/steps.workflow.yaml", "invoke.auth.scheme", 'invoke.auth.scheme must be "bearer" or "raw", got "basic"'],
    ["workflows/steps.workflow.yaml", "pipeline[0].for_each", "for_each is only supported on agent steps"],
    ["workflows/steps.workflow.yaml", "pipeline[0].transform.ops[0].pivot", 'unknown transform op "pivot"'],
    ["workflows/steps.workflow.yaml", "pipeline[0].transform.ops[1]", "transform op must have exactly one key, got 2 (filter, map)"],
    ["workflows/steps.workflow.yaml", "pipeline[0].transform.ops[2].sort.field", 'op sort: "field" is required'],
    ["workflows/steps.workflow.yaml", "pipeline[0].transform.ops[2].sort.order", 'order must be "asc" or "desc", got "up"'],
    ["workflows/steps.workflow.yaml", "pipeline[0].transform.ops[3].merge", "op merge: expected a list of step ids, got string"],
    ["workflows/steps.workflow.yaml", "pipeline[1].webhook.url", "webhook url is required"],
    ["workflows/steps.workflow.yaml", "pipeline[1].webhook.method", 'webhook method "FETCH" is not an HTTP method'],
    ["workflows/steps.workflow.yaml", "pipeline[2].on", "on: approval is only supported on webhook steps"],
    ["workflows/steps.workflow.yaml", "pipeline[2].confidence_threshold", "confidence_threshold must be between 0 and 1"],
    ["workflows/steps.workflow.yaml", "pipeline[2].output.schema.required", 'requires reserved field "ktsu_confidence"'],
  ]);

  describeFailingFixture("bad-agent", [
    ["agents/broken.agent.yaml", "prompt.system", "prompt.system must be static — remove {{ }} expressions and use prompt.user for dynamic content"],
    ["agents/broken.agent.yaml", "prompt.user", 'secret param "token" must not appear in prompt.user'],
    ["agents/broken.agent.yaml", "prompt.user", 'unsupported template namespace "{{ step.x.y }}" — only {{ params.KEY }} is supported'],
    ["agents/broken.agent.yaml", "prompt.user", 'prompt references param "ghost"'],
    ["agents/broken.agent.yaml", "prompt.reflect", "reflect prompt is empty or whitespace"],
    ["agents/broken.agent.yaml", "servers[0].params.api_key", 'server param "api_key" is secret but agent param "plain" is not marked secret'],
    ["agents/broken.agent.yaml", "servers[0].params.label", 'server param "label" is not secret but is fed from secret agent param "token"'],
    ["agents/broken.agent.yaml", "servers[0].params.region", 'server param "region": agent param "nowhere" not found'],
    ["agents/broken.agent.yaml", "servers[0].params.zone", 'server param "zone": unsupported template "prefix-{{ params.topic }}"'],
    ["agents/broken.agent.yaml", "servers[0].params", 'required server param "endpoint" has no value'],
    ["agents/broken.agent.yaml", "servers[0].path", 'server "svc" auth.secret references agent param "plain" which is not marked secret'],
    ["agents/broken.agent.yaml", "servers[0].access.allowlist[0]", 'allowlist entry "get_*_item": a wildcard is only allowed at the end'],
    ["agents/broken.agent.yaml", "servers[0].access.allowlist[1]", 'allowlist entry "item?": "?" and "[...]" patterns are not supported'],
    [
      "agents/broken.agent.yaml",
      "servers[0].access.allowlist[2].require_approval.on_reject",
      'server "svc" tool "delete": require_approval.on_reject must be "fail" or "recover", got "ignore"',
    ],
    [
      "agents/broken.agent.yaml",
      "servers[0].access.allowlist[2].require_approval.timeout",
      'require_approval.timeout must be a duration such as "30m", "2h" or "90s", got "10 minutes"',
    ],
    [
      "agents/broken.agent.yaml",
      "servers[0].access.allowlist[3].require_approval.timeout_behavior",
      'server "svc" tool "purge": require_approval.timeout_behavior must be "fail" or "reject", got "explode"',
    ],
    ["agents/broken.agent.yaml", "servers[0].persistent_id", 'server "svc" persistent_id reads "step", which is not available there'],
    ["agents/broken.agent.yaml", "servers[0].persistent_id", 'server "svc" persistent_id references param "nope" which is not declared in params.schema'],
    ["agents/broken.agent.yaml", "servers[1].persistent_id", 'server "missing" persistent_id must not read secret param "token"'],
    ["agents/broken.agent.yaml", "servers[2].persistent_id", 'server "hinted" persistent_id: template "{{ params.topic | }}" does not parse'],
    ["agents/broken.agent.yaml", "servers[1].path", 'cannot load server "servers/none.server.yaml": file not found: agents/servers/none.server.yaml'],
    ["agents/broken.agent.yaml", "servers[2].path", "servers/svc.server.yaml exists relative to the project dir"],
    ["agents/orphan.agent.yaml", "output.schema", "agent has no output schema defined"],
    [
      "agents/orphan.agent.yaml",
      "params.schema.properties.key.default",
      'env reference outside root workflow context in agent file agents/orphan.agent.yaml — params.schema.properties.key.default: "env:SECRET_KEY" — agent and server files get no env; declare a param',
    ],
  ]);

  describeFailingFixture("bad-secrets", [
    ["workflows/secrets.workflow.yaml", "pipeline[0].params.key", 'agent param "key" is secret but env var "PUBLIC_URL" is not declared secret: true'],
    ["workflows/secrets.workflow.yaml", "pipeline[0].params.pin", 'agent param "pin" is secret but env var "UNDECLARED" is not declared in env:'],
    [
      "workflows/secrets.workflow.yaml",
      "pipeline[0].params.code",
      'agent param "code" is secret and must be fed from a secret source: "{{ env.NAME }}" (declared secret: true) or "{{ params.NAME }}" (a secret param)',
    ],
    ["workflows/secrets.workflow.yaml", "pipeline[0].params.otp", 'agent param "otp" is secret but workflow param "user" is not marked secret'],
    ["workflows/secrets.workflow.yaml", "pipeline[0].params.note", 'agent param "note" is not secret but is fed from secret env var "API_KEY"'],
    ["workflows/secrets.workflow.yaml", "pipeline[0].params.memo", 'agent param "memo" is not secret but is fed from secret param "pw"'],
    // An undeclared `{{ env.X }}` is one error (the env scope rule's), not a second one from the secret chain.
    ["workflows/secrets.workflow.yaml", "pipeline[1].params.otp", 'env var "NOT_DECLARED" is not declared in env:'],
    [
      "workflows/secrets.workflow.yaml",
      "pipeline[2].params.title",
      'param "title" of sub-workflow "./child.workflow.yaml" is not secret but is fed from secret param "pw"',
    ],
    [
      "workflows/secrets.workflow.yaml",
      "pipeline[2].input.extra",
      'param "extra" of sub-workflow "./child.workflow.yaml" is not secret but is fed from secret env var "API_KEY"',
    ],
  ]);

  describeFailingFixture("bad-env", [
    ["workflows/root.workflow.yaml", "pipeline[0].condition", 'env var "MISSING" is not declared in env:'],
    ["workflows/root.workflow.yaml", "pipeline[0].webhook.url", 'env var "ALSO_MISSING" is not declared in env:'],
    ["workflows/root.workflow.yaml", "invoke.auth.secret", "invoke.auth.secret is checked before the run starts: its templates can read only {{ env.NAME }}"],
    [
      "workflows/root.workflow.yaml",
      "pipeline[2].params.who",
      'param "someone" referenced but no params context is available (root workflow); write "{{ params.someone }}"',
    ],
    [
      "workflows/nested/child.workflow.yaml",
      "pipeline[0].webhook.url",
      'env reference outside root workflow context in sub-workflow file workflows/nested/child.workflow.yaml — pipeline[0].webhook.url: "env:HOOK_URL" — sub-workflows get no env',
    ],
    ["workflows/nested/child.workflow.yaml", "pipeline[0].webhook.body.v", "env.SECRET reference outside root workflow context in sub-workflow file"],
    ["workflows/nested/child.workflow.yaml", "pipeline[1].params.text", "env.DECLARED reference outside root workflow context in sub-workflow file"],
    ["agents/envy.agent.yaml", "description", "env reference outside root workflow context in agent file agents/envy.agent.yaml"],
    ["agents/envy.agent.yaml", "servers[0].persistent_id", 'servers[0].persistent_id: "chat-{{ env.CHAT_ID }}" — agent and server files get no env'],
    ["servers/env.server.yaml", "auth.secret", 'env reference outside root workflow context in server file servers/env.server.yaml — auth.secret: "env:TOKEN"'],
  ]);

  describeFailingFixture("bad-refs", [
    [
      "workflows/parent.workflow.yaml",
      "pipeline[0].workflow",
      'hub-installed workflow references ("author/name") are not yet supported; use ./path/ for local paths',
    ],
    ["workflows/parent.workflow.yaml", "pipeline[1].workflow", 'step "gone": cannot resolve workflow ref "./missing.workflow.yaml": file not found'],
    [
      "workflows/parent.workflow.yaml",
      "pipeline[2].webhooks",
      'step "conflict": webhooks: execute declared on step but sub-workflow "./subs/quiet.workflow.yaml" declares webhooks: "suppress" (must also be "execute" for webhooks to fire)',
    ],
    ["workflows/parent.workflow.yaml", "pipeline[2].params", 'step "conflict": missing required param "name" for sub-workflow "./subs/quiet.workflow.yaml"'],
    ["workflows/parent.workflow.yaml", "pipeline[4].agent", 'cannot load agent "agents/missing.agent.yaml@2.0.0": file not found: agents/missing.agent.yaml'],
    ["workflows/parent.workflow.yaml", "pipeline[5].agent", 'cannot load agent "ktsu/foo@1": file not found: ktsu/foo'],
    ["workflows/parent.workflow.yaml", "pipeline[6]", 'step "nm": no model group'],
    ["workflows/parent.workflow.yaml", "pipeline[7].params.count", 'agent param "count": value must be a string, got number'],
    ["workflows/parent.workflow.yaml", "pipeline[7].params", 'step "p": missing required param "topic" for agent "agents/needs.agent.yaml"'],
    ["workflows/parent.workflow.yaml", "pipeline[8].params.name", 'workflow step "q" param "name": value must be a string, got number'],
    [
      "workflows/subs/b.workflow.yaml",
      "pipeline[0].workflow",
      'workflow cycle detected: "workflows/subs/a.workflow.yaml" is referenced transitively by itself',
    ],
  ]);

  describeFailingFixture("bad-schemas", [
    ["workflows/schemas.workflow.yaml", "params.schema.type", "invalid JSON Schema: must be equal to one of the allowed values"],
    ["workflows/schemas.workflow.yaml", "pipeline[0].output.schema.properties.a", 'invalid JSON Schema: keyword "secret" value is invalid'],
    ["workflows/schemas.workflow.yaml", "output.schema.required", "invalid JSON Schema: must be array"],
    ["agents/bad.agent.yaml", "params.schema.properties.x.minItems", "invalid JSON Schema: must be >= 0"],
    ["agents/bad.agent.yaml", "output.schema", "invalid JSON Schema: can't resolve reference #/definitions/nope"],
  ]);

  describeFailingFixture("bad-gateway", [
    ["gateway.yaml", "providers[0].config", 'provider "oa": missing base_url'],
    ["gateway.yaml", "providers[1].config", 'provider "an": missing api_key'],
    [
      "gateway.yaml",
      "providers[1].config.base_url",
      'provider "an": config key "base_url": env var(s) [NOPE NADA] referenced but not declared in env: section',
    ],
    ["gateway.yaml", "providers[2].type", 'provider "weird": unknown provider type "gemini"'],
    ["gateway.yaml", "model_groups[0].models[1]", 'invalid model entry "gpt-4o": expected provider/model'],
    ["gateway.yaml", "model_groups[0].models[2]", 'provider "ghost" is not declared in providers'],
    ["gateway.yaml", "model_groups[0].strategy", 'got "fastest"'],
    ["gateway.yaml", "model_groups[0].pricing[0].input_per_million", "input_per_million must not be negative"],
    ["gateway.yaml", "model_groups[0].pricing[1].model", "pricing entry needs a model"],
    ["gateway.yaml", "model_groups[0].pricing[1].output_per_million", "pricing entry needs output_per_million"],
  ]);

  describeFailingFixture(
    "bad-yaml",
    [
      ["workflows/syntax.workflow.yaml", "", "parse workflow: Flow sequence in block collection"],
      ["workflows/syntax.workflow.yaml", "", "parse workflow: Flow map in block collection"],
      ["workflows/types.workflow.yaml", "pipeline[0].depends_on", "must be a list, got string"],
      ["workflows/types.workflow.yaml", "pipeline[1]", "must be a mapping, got string"],
      ["workflows/types.workflow.yaml", "pipeline[2].webhook", "must be a mapping, got number"],
      ["agents/dup.agent.yaml", "", "parse agent: Map keys must be unique"],
      ["servers.yaml", "servers[0].url", "server has no url"],
      ["environments/dev.env.yaml", "variables", "must be a mapping, got list"],
    ],
    "environments/dev.env.yaml",
  );

  // A budget is refused when a model its runs may call has no price (none in gateway.yaml, none
  // built in): the gateway would count those calls as $0 and the budget would never stop them.
  describeFailingFixture("budget-bad", [
    [
      "workflows/group-member.workflow.yaml",
      "model_policy.cost_budget_usd",
      'workflow "group-member": cost_budget_usd cannot be enforced: model "fake/mystery-model" of model group "one-unpriced" (used by step "draft") has no price',
    ],
    ["workflows/step-override.workflow.yaml", "model_policy.cost_budget_usd", 'model "fake/bare-model" of model group "unpriced" (used by step "cheap")'],
    [
      "workflows/via-sub.workflow.yaml",
      "model_policy.cost_budget_usd",
      'model "fake/bare-model" of model group "unpriced" (used by step "help" of sub-workflow workflows/sub/helper.workflow.yaml)',
    ],
  ]);
});

describe("cost_budget_usd with priced models", () => {
  it("passes when every model of every group the budgeted steps use has a configured or built-in price", () => {
    const result = compile(fixture("budget-ok"));
    expect(listing(result.report.errors)).toBe("");
    expect(listing(result.report.warnings)).toBe("");
    expect(result.bundle?.workflows.budgeted?.model_policy.cost_budget_usd).toBe(0.5);
  });

  it("says how to fix a refused budget: price the model in gateway.yaml, or remove the budget", () => {
    const result = compile(fixture("budget-bad"));
    const error = result.report.errors.find((e) => e.file === "workflows/group-member.workflow.yaml");
    expect(error?.message).toMatch(
      /add a price for it in gateway\.yaml \(model group "one-unpriced", pricing: \[\{ model: mystery-model, input_per_million: …, output_per_million: … \}\]\) or remove the budget$/,
    );
  });
});

describe("warnings and positions", () => {
  it("warns without failing: reflect with max_turns 1, undeclared params, unknown model groups, undeclared env:VAR", () => {
    const agent = compile(fixture("bad-agent"));
    expect(
      find(agent.report.warnings, [
        "agents/reflective.agent.yaml",
        "prompt.reflect",
        "reflect declared with max_turns: 1 — reflect will operate on single-turn output",
      ]),
    ).toBeDefined();
    expect(agent.report.files.find((f) => f.file === "agents/reflective.agent.yaml")?.status).toBe("OKAY");

    const refs = compile(fixture("bad-refs"));
    expect(find(refs.report.warnings, ["workflows/parent.workflow.yaml", "pipeline[7].params.extra", 'param "extra" is not declared by agent'])).toBeDefined();

    const gateway = compile(fixture("bad-gateway"));
    expect(
      find(gateway.report.warnings, ["workflows/ok.workflow.yaml", "pipeline[0].model.group", 'model group "missing-group" is not declared in gateway.yaml']),
    ).toBeDefined();

    const secrets = compile(fixture("bad-secrets"));
    expect(
      find(secrets.report.warnings, ["workflows/secrets.workflow.yaml", "pipeline[0].params.pin", 'env var "UNDECLARED" is not declared in env:']),
    ).toBeDefined();
  });

  it("gives YAML parse errors and field errors a line and column", () => {
    const result = compile(fixture("bad-yaml"));
    const parse = result.report.errors.find((e) => e.file === "agents/dup.agent.yaml");
    expect(parse).toMatchObject({ line: 3, column: 1 });
    expect(formatDiagnostic(parse!)).toBe("agents/dup.agent.yaml:3:1: parse agent: Map keys must be unique");
    const field = result.report.errors.find((e) => e.path === "pipeline[0].depends_on");
    expect(field).toMatchObject({ file: "workflows/types.workflow.yaml", line: 3, column: 5 });
  });

  it("reports a project without workflows", () => {
    const result = compile(fixture("empty"));
    expect(result.ok).toBe(false);
    expect(result.report.noWorkflows).toBe(true);
  });

  it("marks failed steps in the workflow graphs", () => {
    const graph = compile(fixture("bad-dag")).report.graphs.find((g) => g.file === "workflows/dag.workflow.yaml");
    expect(graph?.nodes.find((n) => n.id === "untyped")).toEqual({ id: "untyped", kind: "unknown", failed: true });
    expect(graph?.nodes.find((n) => n.id === "fan")).toMatchObject({ kind: "agent", failed: true });
    expect(graph?.edges).toContainEqual({ from: "x", to: "b" });
    expect(graph?.edges).toContainEqual({ from: "c", to: "a" });
  });
});

describe("legacy value forms (env:NAME, param:NAME, backtick literals)", () => {
  const dir = fixture("legacy-values");
  const expected: Expected[] = [
    ["workflows/legacy.workflow.yaml", "invoke.auth.secret", '"env:TOKEN" uses the legacy value syntax; write "{{ env.TOKEN }}" instead'],
    ["workflows/legacy.workflow.yaml", "pipeline[0].params.token", '"env:TOKEN" uses the legacy value syntax; write "{{ env.TOKEN }}" instead'],
    ["workflows/legacy.workflow.yaml", "pipeline[1].params.label", `"\`env:LITERAL\`" uses the legacy value syntax; write "{{ 'env:LITERAL' }}" instead`],
    ["workflows/legacy.workflow.yaml", "pipeline[1].params.plain", '"`plain text`" uses the legacy value syntax; write "plain text" instead'],
    ["workflows/legacy.workflow.yaml", "pipeline[1].params.hook", '"env:HOOK" uses the legacy value syntax; write "{{ env.HOOK }}" instead'],
    ["workflows/legacy.workflow.yaml", "pipeline[2].webhook.url", '"env:HOOK" uses the legacy value syntax; write "{{ env.HOOK }}" instead'],
    ["workflows/legacy.workflow.yaml", "pipeline[2].webhook.body.token", '"env:TOKEN" uses the legacy value syntax; write "{{ env.TOKEN }}" instead'],
    ["shared/child.workflow.yaml", "pipeline[0].webhook.url", '"param:hook" uses the legacy value syntax; write "{{ params.hook }}" instead'],
    ["agents/caller.agent.yaml", "servers[0].params.mode", '"`fast`" uses the legacy value syntax; write "fast" instead'],
    ["servers/api.server.yaml", "auth.secret", '"`static-key`" uses the legacy value syntax; write "static-key" instead'],
  ];

  it("still validate: every file OKAY and a bundle, with one warning per use naming the {{ }} replacement", () => {
    const result = compile(dir);
    expect(listing(result.report.errors)).toBe("");
    expect(result.ok).toBe(true);
    expect(result.bundle).toBeDefined();
    expect(result.report.files.every((f) => f.status === "OKAY")).toBe(true);
    for (const entry of expected) expect(find(result.report.warnings, entry), `missing ${entry.join(": ")}`).toBeDefined();
    expect(result.report.warnings).toHaveLength(expected.length);
    // The agent step's backtick was never a legacy form there: it is passed on as written.
    expect(result.report.warnings.some((w) => w.path === "pipeline[0].params.who")).toBe(false);
  });

  it("no warning remains once each use is rewritten as its warning says", () => {
    const copy = mkdtempSync(join(tmpdir(), "ktsu-legacy-"));
    onTestFinished(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(dir, copy, { recursive: true });
    for (const warning of compile(copy).report.warnings) {
      const replacement = /write "(.*)" instead$/.exec(warning.message)?.[1];
      expect(replacement, warning.message).toBeDefined();
      const file = join(copy, warning.file);
      const lines = readFileSync(file, "utf8").split("\n");
      const at = (warning.line ?? 0) - 1;
      lines[at] = (lines[at] ?? "").replace(/^(\s*[^:\s]+:\s).*$/, (_, key: string) => `${key}${JSON.stringify(replacement)}`);
      writeFileSync(file, lines.join("\n"));
    }
    const rewritten = compile(copy);
    expect(listing(rewritten.report.errors)).toBe("");
    expect(listing(rewritten.report.warnings)).toBe("");
  });
});
