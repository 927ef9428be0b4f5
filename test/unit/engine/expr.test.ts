import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  evaluate,
  evaluateCondition,
  evaluateExpressionOrTemplate,
  ExpressionError,
  expressionStepRefs,
  interpolate,
  isTruthy,
  parseTemplate,
  renderTemplate,
  sanitizeExpression,
  stripTemplate,
  templateStepRefs,
  tryEvaluate,
  wholeTemplateExpression,
} from "../../../shared/expr/index.ts";

describe("hyphen sanitizer", () => {
  it.each([
    // Go's own cases (expr_test.go)
    ["search-hn.repos", '"search-hn".repos'],
    ['"search-hn".repos', '"search-hn".repos'],
    ["input.items", "input.items"],
    ["repo-github.stars", '"repo-github".stars'],
    ["a-b-c.d", '"a-b-c".d'],
    ["count > `10`", "count > `10`"],
    ["search-hn.count > `10`", '"search-hn".count > `10`'],
    ["search-hn", '"search-hn"'],
    ["search-hn.count > repo-github.stars", '"search-hn".count > "repo-github".stars'],
    ["", ""],
    ["search_hn.repos", "search_hn.repos"],
    ["step.fetch-x.items[0]", 'step."fetch-x".items[0]'],
    // unlike Go: raw strings are skipped; `_` belongs to the identifier
    ["name == 'a-b'", "name == 'a-b'"],
    ["name == 'it\\'s a-b'", "name == 'it\\'s a-b'"],
    ["my_step-x.y", '"my_step-x".y'],
    ["_a-b", '"_a-b"'],
    ['`"x-y"` == a-b', '`"x-y"` == "a-b"'],
    ['"a\\"b-c" == d-e', '"a\\"b-c" == "d-e"'],
    // hyphens that are not identifiers
    ["items[-1]", "items[-1]"],
    ["items[1:-1]", "items[1:-1]"],
  ])("%s → %s", (input, expected) => {
    expect(sanitizeExpression(input)).toBe(expected);
  });

  it("makes hyphenated ids evaluate and keeps raw-string literals intact", () => {
    const ctx = { "search-hn": { success: true, kind: "a-b" }, "my_step-x": { v: 1 } };
    expect(evaluate("search-hn.success", ctx)).toBe(true);
    expect(evaluate("search-hn.kind == 'a-b'", ctx)).toBe(true);
    expect(evaluate("my_step-x.v", ctx)).toBe(1);
  });
});

describe("evaluate", () => {
  it("returns null for missing paths and typed values otherwise", () => {
    const ctx = { a: { n: 3, list: [1, 2], obj: { x: "y" } } };
    expect(evaluate("a.missing.deeper", ctx)).toBeNull();
    expect(evaluate("a.n", ctx)).toBe(3);
    expect(evaluate("a.list", ctx)).toEqual([1, 2]);
    expect(evaluate("a.obj", ctx)).toEqual({ x: "y" });
  });

  it("reports syntax and evaluation errors with a kind and the original expression", () => {
    for (const bad of ["a.", "a[", "foo(", "#", "", "  "]) {
      const result = tryEvaluate(bad, {});
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error).toBeInstanceOf(ExpressionError);
        expect(result.error.kind).toBe("syntax");
        expect(result.error.expression).toBe(bad);
        expect(result.error.message).toMatch(/^syntax error: /);
      }
    }
    const typeError = tryEvaluate("length(`1`)", {});
    expect(typeError.ok).toBe(false);
    if (!typeError.ok) expect(typeError.error.kind).toBe("evaluation");
  });

  it("does not leak Object.prototype members for missing fields", () => {
    expect(evaluate("toString", {})).toBeNull();
    expect(evaluate("a.constructor", { a: {} })).toBeNull();
    expect(evaluate("{x: a.valueOf}", { a: {} })).toEqual({ x: null });
    expect(evaluate("&a", { a: 1 })).toBeNull();
  });
});

describe("templates", () => {
  const ctx = {
    step: { s: { n: 42, big: 1000000, f: 0.5, ok: true, obj: { b: 1, a: "x" }, arr: [1, "two", null], nil: null, name: "Kyle" } },
  };

  it("detects and strips whole templates only", () => {
    expect(wholeTemplateExpression("  {{ step.s.n }}  ")).toBe("step.s.n");
    expect(wholeTemplateExpression("{{ a }} and {{ b }}")).toBeUndefined();
    expect(wholeTemplateExpression("x {{ a }}")).toBeUndefined();
    expect(wholeTemplateExpression("{{ {a: {b: c}} }}")).toBe("{a: {b: c}}");
    expect(stripTemplate(" {{ a.b }} ")).toBe("a.b");
    expect(stripTemplate(" a.b ")).toBe("a.b");
  });

  it("whole templates keep the JSON type", () => {
    expect(renderTemplate("{{ step.s.n }}", ctx)).toBe(42);
    expect(renderTemplate("{{ step.s.ok }}", ctx)).toBe(true);
    expect(renderTemplate("{{ step.s.obj }}", ctx)).toEqual({ b: 1, a: "x" });
    expect(renderTemplate("{{ step.s.arr }}", ctx)).toEqual([1, "two", null]);
    expect(renderTemplate("{{ step.s.nil }}", ctx)).toBeNull();
    expect(renderTemplate("{{ step.s.name }}", ctx)).toBe("Kyle");
    expect(renderTemplate("no placeholders", ctx)).toBe("no placeholders");
  });

  it("mixed templates coerce the JSON way (no Go %v quirks)", () => {
    expect(renderTemplate("n={{ step.s.n }}", ctx)).toBe("n=42");
    expect(renderTemplate("big={{ step.s.big }} f={{ step.s.f }}", ctx)).toBe("big=1000000 f=0.5");
    expect(renderTemplate("ok={{ step.s.ok }}", ctx)).toBe("ok=true");
    expect(renderTemplate("obj={{ step.s.obj }}", ctx)).toBe('obj={"a":"x","b":1}');
    expect(renderTemplate("arr={{ step.s.arr }}", ctx)).toBe('arr=[1,"two",null]');
    expect(renderTemplate("nil=[{{ step.s.nil }}]", ctx)).toBe("nil=[]");
    expect(renderTemplate("{{ step.s.name }} and {{ step.s.n }}", ctx)).toBe("Kyle and 42");
    expect(interpolate("https://x/bot{{ step.s.name }}/send", ctx)).toBe("https://x/botKyle/send");
  });

  it("interpolation throws the placeholder's error; unterminated braces are literal", () => {
    expect(() => interpolate("x {{ a. }}", ctx)).toThrow(ExpressionError);
    expect(interpolate("x {{ not closed", ctx)).toBe("x {{ not closed");
    expect(parseTemplate("a{{b}}c")).toEqual([
      { kind: "text", text: "a" },
      { kind: "expr", expression: "b", source: "{{b}}" },
      { kind: "text", text: "c" },
    ]);
  });

  it("bare-or-whole fields evaluate both forms", () => {
    expect(evaluateExpressionOrTemplate("step.s.n", ctx)).toBe(42);
    expect(evaluateExpressionOrTemplate("{{ step.s.n }}", ctx)).toBe(42);
  });

  it("canonical JSON sorts keys", () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });
});

describe("Go truthiness and conditions", () => {
  it.each([
    [null, false],
    [false, false],
    ["", false],
    [0, false],
    [true, true],
    ["x", true],
    ["false", true],
    [1, true],
    [-0.5, true],
    [[], true],
    [{}, true],
    [[0], true],
  ])("isTruthy(%j) = %s", (value, expected) => {
    expect(isTruthy(value)).toBe(expected);
  });

  const ctx = { "search-hn": { success: true }, params: {}, step: { e: { list: [], obj: {} } } };

  it("evaluates missing fields, hyphenated ids, null checks and whole templates", () => {
    expect(evaluateCondition("nonexistent.field", ctx).truthy).toBe(false);
    expect(evaluateCondition("search-hn.success", ctx).truthy).toBe(true);
    expect(evaluateCondition("params.text != null", ctx).truthy).toBe(false);
    expect(evaluateCondition("params.text != null", { params: { text: "hello" } }).truthy).toBe(true);
    expect(evaluateCondition("{{ search-hn.success }}", ctx).truthy).toBe(true);
  });

  it("empty arrays and objects are truthy", () => {
    expect(evaluateCondition("step.e.list", ctx).truthy).toBe(true);
    expect(evaluateCondition("step.e.obj", ctx).truthy).toBe(true);
  });

  it("an error means skip, with the error reported", () => {
    const outcome = evaluateCondition("a.[", ctx);
    expect(outcome.truthy).toBe(false);
    expect(outcome.error).toBeInstanceOf(ExpressionError);
    expect(outcome.error?.kind).toBe("syntax");
    const typeError = evaluateCondition("length(`1`)", ctx);
    expect(typeError).toMatchObject({ truthy: false, value: null });
    expect(typeError.error?.kind).toBe("evaluation");
    expect(evaluateCondition("search-hn.success", ctx).error).toBeUndefined();
  });
});

describe("step references", () => {
  it("finds step.X references only at the context root", () => {
    expect(expressionStepRefs("step.fetch.items[0].name")).toEqual(["fetch"]);
    expect(expressionStepRefs('step.search-hn.x || step."b-c".y && length(step.d) > `1`')).toEqual(["search-hn", "b-c", "d"]);
    expect(expressionStepRefs("{a: step.one.x, b: [step.two]}")).toEqual(["one", "two"]);
    expect(expressionStepRefs("items[?step.x == `1`]")).toEqual([]);
    expect(expressionStepRefs("item.step.x")).toEqual([]);
    expect(expressionStepRefs("step.*.x")).toEqual([]);
    expect(expressionStepRefs("'step.x' == `\"step.y\"`")).toEqual([]);
    expect(expressionStepRefs("step.a.")).toEqual([]);
  });

  it("optionally reports flat root fields, minus the reserved namespaces", () => {
    const flat = { flat: true };
    expect(expressionStepRefs("fetch.items[?status == 'x'] || params.a || env.B || step.c", flat)).toEqual(["fetch", "c"]);
    expect(expressionStepRefs("search-hn.success", flat)).toEqual(["search-hn"]);
    expect(expressionStepRefs("sort_by(list.items, &age)", flat)).toEqual(["list"]);
    expect(expressionStepRefs("fetch.items", {})).toEqual([]);
  });

  it("reads every placeholder of a template", () => {
    expect(templateStepRefs("https://x/{{ step.a.id }}/{{ step.b.id }}?q={{ params.q }}")).toEqual(["a", "b"]);
    expect(templateStepRefs("no refs")).toEqual([]);
  });
});
