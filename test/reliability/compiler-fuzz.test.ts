// Scenario 5 (compiler half): malformed and hostile YAML projects through the project
// compiler (what `ktsu validate`/`build`/`start` run): random text, random structures,
// random step graphs (with cycles and unknown ids), unicode, deep nesting, huge strings,
// YAML anchor bombs. Every case must end with a report, never a throw. How long the cases take
// is reported, not asserted: on a busy machine a time limit fails for reasons of its own.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emitBundleModule } from "../../cli/src/build/emit.ts";
import { compileProject, type CompileResult } from "../../shared/compiler/compile.ts";
import { createMemoryFs } from "../../shared/compiler/fs.ts";
import { MAX_NESTING_DEPTH, NESTING_ERROR } from "../../shared/compiler/yaml.ts";
import { stringify } from "yaml";
import { report } from "./support/figures.ts";

const SEED = Number(process.env.KTSU_RELIABILITY_SEED ?? 20261124);
const GATEWAY = `providers:\n  - name: fake\n    type: openai\n    config: { base_url: "http://127.0.0.1:1/v1", api_key: k }\nmodel_groups:\n  - name: default\n    models: ["fake/m"]\n`;
const AGENT = `name: a\nmodel: default\nprompt:\n  system: s\n  user: u\noutput:\n  schema: { type: object }\n`;

function compile(files: Record<string, string>): { result: CompileResult; ms: number; heapMb: number } {
  const heap = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const result = compileProject(createMemoryFs({ "/p/gateway.yaml": GATEWAY, "/p/agents/a.agent.yaml": AGENT, ...files }), { projectDir: "/p" });
  return { result, ms: performance.now() - t0, heapMb: (process.memoryUsage().heapUsed - heap) / 1e6 };
}

const workflow = (text: string) => ({ "/p/workflows/w.workflow.yaml": text });

/** A report that explains the failure: at least one error, each naming a file and a message. */
function expectReported(result: CompileResult): void {
  expect(result.ok).toBe(false);
  expect(result.report.errors.length).toBeGreaterThan(0);
  for (const error of result.report.errors) {
    expect(error.file).toMatch(/\S/);
    expect(error.message).toMatch(/\S/);
  }
}

describe("the compiler on hostile YAML", () => {
  it("random text (any unicode, control characters, YAML syntax soup) never throws", () => {
    const soup = fc
      .array(
        fc.constantFrom(
          "name: x\n",
          "pipeline:\n",
          "  - id: a\n",
          "    ",
          "&a ",
          "*a",
          "[",
          "]",
          "{",
          "}",
          ": ",
          "- ",
          "\n",
          "!!binary ",
          "%YAML 1.2\n",
          "---\n",
          "? ",
          "|\n",
          "'",
          '"',
          "\t",
          "\u0000",
          "\uFEFF",
          "\u{1F4A5}",
        ),
        { maxLength: 60 },
      )
      .map((parts) => parts.join(""));
    const text = fc.oneof(fc.string({ unit: "binary", maxLength: 400 }), fc.string({ unit: "grapheme", maxLength: 400 }), soup);
    let cases = 0;
    let slowest = 0;
    fc.assert(
      fc.property(
        text,
        fc.constantFrom("/p/workflows/w.workflow.yaml", "/p/agents/a.agent.yaml", "/p/gateway.yaml", "/p/servers/s.server.yaml"),
        (content, file) => {
          const { result, ms } = compile({ "/p/workflows/w.workflow.yaml": "name: w\npipeline: []\n", [file]: content });
          cases += 1;
          slowest = Math.max(slowest, ms);
          if (!result.ok) expectReported(result);
        },
      ),
      { numRuns: 400, seed: SEED },
    );
    report("fuzz: compiler, random text", { cases, "slowest (ms)": slowest });
  });

  it("random structures in every file kind never throw, and a valid bundle always serializes", () => {
    const value = fc.anything({
      maxDepth: 4,
      withNullPrototype: false,
      withBigInt: false,
      withDate: false,
      withMap: false,
      withSet: false,
      withTypedArray: false,
      withSparseArray: false,
      withObjectString: false,
      withBoxedValues: false,
    });
    const shaped = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 20 }), value),
        pipeline: fc.oneof(
          fc.array(
            fc.record(
              {
                id: fc.oneof(fc.string({ maxLength: 8 }), value),
                transform: fc.oneof(fc.constant({ inputs: [] }), value),
                agent: fc.oneof(fc.constant("agents/a.agent.yaml"), value),
                depends_on: value,
                condition: value,
                for_each: value,
                webhook: value,
                params: value,
              },
              { requiredKeys: [] },
            ),
            { maxLength: 5 },
          ),
          value,
        ),
        params: value,
        env: value,
        invoke: value,
        model_policy: value,
        output: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(shaped, value, (wf, other) => {
        let text: string;
        try {
          text = stringify(wf);
        } catch {
          fc.pre(false); // not representable as YAML: a skipped case (too many fail the property)
          return;
        }
        const { result } = compile({ ...workflow(text), "/p/agents/b.agent.yaml": stringify(other) ?? "" });
        if (result.ok) expect(() => emitBundleModule(result.bundle!, result.schemas)).not.toThrow();
        else expectReported(result);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it("random step graphs: the project compiles exactly when ids are unique, every dependency exists and there is no cycle", () => {
    const graph = fc.integer({ min: 1, max: 7 }).chain((n) =>
      fc.record({
        ids: fc.array(fc.integer({ min: 0, max: n }), { minLength: n, maxLength: n }), // id n-or-collision makes duplicates
        deps: fc.array(fc.array(fc.integer({ min: 0, max: n }), { maxLength: 3 }), { minLength: n, maxLength: n }), // n = an unknown id
      }),
    );
    let acyclic = 0;
    fc.assert(
      fc.property(graph, ({ ids, deps }) => {
        const names = ids.map((i) => `s${i}`);
        const steps = names.map((id, k) => ({
          id,
          depends_on: [...new Set(deps[k]!.map((d) => (d === ids.length ? "ghost" : names[d]!)))],
          transform: { inputs: [] },
        }));
        const { result } = compile(workflow(stringify({ name: "w", pipeline: steps })));
        const unique = new Set(names).size === names.length;
        const known = steps.every((s) => s.depends_on.every((d) => names.includes(d)));
        const cyclic = unique && known && hasCycle(steps);
        const expected = unique && known && !cyclic;
        if (expected) acyclic += 1;
        expect(result.ok, JSON.stringify(steps)).toBe(expected);
        if (!result.ok) expectReported(result);
        if (cyclic) expect(result.report.errors.some((e) => e.message.includes("cycle detected"))).toBe(true);
      }),
      { numRuns: 400, seed: SEED },
    );
    expect(acyclic).toBeGreaterThan(20); // the generator does produce valid graphs too
  });

  it("unicode everywhere (ids, names, keys, values, a BOM) never throws", () => {
    const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(text, text, text, text, (name, id, key, value) => {
        const { result } = compile(workflow(stringify({ name, pipeline: [{ id, transform: { inputs: [] }, [key]: value }] })));
        if (!result.ok) expectReported(result);
      }),
      { numRuns: 200, seed: SEED },
    );
    const { result } = compile(workflow('\uFEFFname: "\u{1F4A5}"\npipeline:\n  - id: "été"\n    transform: {inputs: []}\n'));
    expect(result.ok).toBe(true);
  });

  it("refuses a billion-laughs anchor bomb at once, without growing memory (maxAliasCount: 100)", () => {
    const levels = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 9; i++)
      levels.push(
        `l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(",")}]`,
      );
    const { result, ms, heapMb } = compile(workflow(`name: w\n${levels.join("\n")}\npipeline: []\n`));
    expectReported(result);
    expect(result.report.errors[0]!.message).toContain("Excessive alias count indicates a resource exhaustion attack");
    expect(heapMb).toBeLessThan(50);
    report("fuzz: billion laughs", { "refused after (ms)": ms, "heap growth (MB)": heapMb });
  });

  // The top-level mapping is level 1, so `params:` followed by n flow mappings is n + 1 levels deep.
  const paramsNested = (levels: number) => `name: w\nparams: ${"{a: ".repeat(levels - 1)}1${"}".repeat(levels - 1)}\npipeline: []\n`;

  it.each([
    ["flow sequences 10 000 deep", `name: w\npipeline: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`],
    ["flow mappings 50 000 deep", paramsNested(50_000)],
    ["block sequences 3 000 deep", `name: w\npipeline:\n${Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i)}- `).join("\n")}x\n`],
    ["one level past the limit", paramsNested(MAX_NESTING_DEPTH + 1)],
  ])("refuses nesting deeper than the limit (%s) with a clear error and its position", (_what, text) => {
    const { result } = compile(workflow(text));
    expectReported(result);
    expect(result.report.errors).toHaveLength(1);
    expect(result.report.errors[0]!.message).toBe(`parse workflow: ${NESTING_ERROR}`);
    expect(result.report.errors[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it("accepts nesting exactly at the limit", () => {
    const { result } = compile(workflow(paramsNested(MAX_NESTING_DEPTH)));
    expect(result.report.errors.map((e) => e.message)).not.toContainEqual(expect.stringContaining(NESTING_ERROR));
  });

  it("refuses aliases that nest a value deeper than the limit once resolved", () => {
    // Each anchor is 40 levels deep (under the limit as written) and ends in the previous one.
    const chain = (i: number) => `a${i}: &a${i} ${"[".repeat(40)}${i === 0 ? "1" : `*a${i - 1}`}${"]".repeat(40)}`;
    const text = `name: w\n${Array.from({ length: 4 }, (_, i) => chain(i)).join("\n")}\npipeline: []\n`;
    const { result } = compile(workflow(text));
    expectReported(result);
    expect(result.report.errors[0]!.message).toBe(`parse workflow: ${NESTING_ERROR} once aliases are resolved`);
  });

  it("takes a 20 MB string in its stride", () => {
    const { result, ms } = compile(workflow(`name: w\ndescription: ${"x".repeat(20_000_000)}\npipeline:\n  - id: a\n    transform: {inputs: []}\n`));
    expect(result.ok).toBe(true);
    report("fuzz: 20 MB string", { "compiled in (ms)": ms });
  });

  it("reports sub-workflow cycles (A → B → A, and A → A)", () => {
    const pair = compile({
      "/p/workflows/w.workflow.yaml": "name: w\npipeline:\n  - id: a\n    workflow: ../shared/b.workflow.yaml\n",
      "/p/shared/b.workflow.yaml": "name: b\npipeline:\n  - id: c\n    workflow: ../workflows/w.workflow.yaml\n",
    });
    expectReported(pair.result);
    expect(pair.result.report.errors.some((e) => e.message.includes("workflow cycle detected"))).toBe(true);
    const self = compile(workflow("name: w\npipeline:\n  - id: a\n    workflow: ./w.workflow.yaml\n"));
    expect(self.result.report.errors.some((e) => e.message.includes("workflow cycle detected"))).toBe(true);
  });

  // Was a bug (fixed in shared/compiler/yaml.ts): a circular alias (`&b {x: *b}`) where the
  // bundle keeps the value passed validation, and `ktsu build` then threw "Converting circular
  // structure to JSON" instead of reporting file and line.
  it.each([
    ["a webhook body", "name: w\npipeline:\n  - id: a\n    webhook:\n      url: https://example.com/x\n      body: &b {x: *b}\n"],
    ["a param default", "name: w\nparams:\n  schema: {type: object, properties: {x: {type: string, default: &d [*d]}}}\npipeline: []\n"],
  ])("reports a circular alias in %s as a validation error", (_where, text) => {
    const { result } = compile(workflow(text));
    expectReported(result);
  });

  // Was a bug (fixed): the alias count bounds how many aliases resolve, not how much they expand
  // to. Aliases of one large string in a webhook body made a bundle hundreds of times the file.
  // `n` aliases (fewer than the 100 allowed) of a `size`-character string, in a webhook body:
  const aliasing = (n: number, size: number) =>
    `name: w\ndescription: &big ${"z".repeat(size)}\npipeline:\n  - id: a\n    webhook:\n      url: https://example.com/x\n      body:\n${Array.from({ length: n }, (_, i) => `        k${i}: *big`).join("\n")}\n`;

  it("bounds how much aliases expand: 99 aliases of a 50 kB string are refused", () => {
    const text = aliasing(99, 50_000); // ~51 kB of YAML that expands to ~5 MB
    const { result } = compile(workflow(text));
    expectReported(result);
    const cap = Math.max(1_000_000, 20 * text.length);
    expect(result.report.errors[0]!.message).toBe(`parse workflow: aliases expand this file to more than ${cap} characters`);
  });

  it("lets aliases expand a small file up to the floor of the cap: the bundle is written", () => {
    const text = aliasing(50, 10_000); // ~11 kB of YAML that expands to ~510 kB, under the 1 M floor
    const { result } = compile(workflow(text));
    expect(result.ok, JSON.stringify(result.report.errors)).toBe(true);
    expect(emitBundleModule(result.bundle!, result.schemas).length).toBeGreaterThan(50 * 10_000);
  });

  // Was a bug (fixed: our own linear duplicate-key check replaces the `yaml` library's quadratic
  // `uniqueKeys`): 40 000 keys took ~6 s, 100 000 keys ~80 s.
  it("parses a mapping with many keys in time linear in its size", () => {
    const time = (n: number) => compile(workflow(`name: w\npipeline: []\n${Array.from({ length: n }, (_, i) => `k${i}: v`).join("\n")}\n`)).ms;
    time(1000); // warm up
    const small = Math.min(...Array.from({ length: 5 }, () => time(2000))); // the least disturbed of five
    const large = time(12_000);
    report("fuzz: 2 000 vs 12 000 keys", { "2 000 keys (ms)": small, "12 000 keys (ms)": large, ratio: large / small });
    expect(large / small).toBeLessThan(18); // linear would be ~6, quadratic ~36
  });
});

function hasCycle(steps: Array<{ id: string; depends_on: string[] }>): boolean {
  const deps = new Map(steps.map((s) => [s.id, s.depends_on]));
  const state = new Map<string, 1 | 2>();
  const visit = (id: string): boolean => {
    if (state.get(id) === 2) return false;
    if (state.get(id) === 1) return true;
    state.set(id, 1);
    for (const d of deps.get(id) ?? []) if (visit(d)) return true;
    state.set(id, 2);
    return false;
  };
  return steps.some((s) => visit(s.id));
}
