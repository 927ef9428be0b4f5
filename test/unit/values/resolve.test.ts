// The shared value resolver: whole templates keep their type, placeholders
// inside text interpolate, env is root-only and must be set, and the legacy
// forms resolve as they always did in the fields that accept them.

import { describe, expect, it } from "vitest";
import { ExpressionError, type JsonObject } from "../../../shared/expr/index.ts";
import { resolveValue, VALUE_FIELDS, type ValueError, type ValueOutcome, type ValueScope } from "../../../shared/values/index.ts";

const root: ValueScope = {
  env: { TOK: "s3cret", HOOK: "https://hooks.example", EMPTY: "" },
  params: { who: "Ann", a: 1, b: true, obj: { x: [1, 2] }, nothing: null, brace: "}}" },
  paramStrings: null,
  context: {
    fetch: { items: ["a", "b"], count: 2 },
    step: { fetch: { items: ["a", "b"], count: 2 }, "search-hn": { top: "hn" } },
    item: { name: "first" },
    item_index: 0,
  },
  secrets: { env: new Set(["TOK"]), params: new Set(["obj"]) },
};
const sub: ValueScope = { ...root, env: null, paramStrings: { who: "Ann", n: "5" } };

function value(outcome: ValueOutcome): unknown {
  if (!outcome.ok) throw new Error(`expected a value, got: ${outcome.error.message}`);
  return outcome.value;
}

function failure(outcome: ValueOutcome): ValueError {
  if (outcome.ok) throw new Error(`expected an error, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

const url = VALUE_FIELDS.webhookUrl;

describe("a whole {{ }} template keeps the value's type", () => {
  it.each([
    ["{{ params.obj }}", { x: [1, 2] }],
    ["{{ params.a }}", 1],
    ["{{ params.b }}", true],
    ["{{ params.nothing }}", null],
    ["{{ params.missing }}", null],
    ["  {{ step.fetch.items }}  ", ["a", "b"]],
    ["{{ fetch.count }}", 2],
    ["{{ step.search-hn.top }}", "hn"],
    ["{{ item.name }}", "first"],
    ["{{ {n: params.a, l: length(fetch.items)} }}", { n: 1, l: 2 }],
    ["{{ env.TOK }}", "s3cret"],
    ["{{ env.EMPTY }}", ""],
  ])("%s", (text, expected) => {
    expect(value(resolveValue(text, root, url))).toEqual(expected);
  });

  it("marks the source as a template and reports a direct reference", () => {
    const outcome = resolveValue("{{ env.TOK }}", root, url);
    expect(outcome.ok && outcome.source).toEqual({ kind: "template", expression: "env.TOK" });
    expect(outcome.ok && outcome.reads.direct).toEqual({ namespace: "env", name: "TOK" });
    const computed = resolveValue("{{ join(',', fetch.items) }}", root, url);
    expect(computed.ok && computed.reads.direct).toBeUndefined();
  });
});

describe("placeholders inside text interpolate into a string", () => {
  it.each([
    ["Hi {{ params.who }}", "Hi Ann"],
    ["{{ params.who }} and {{ params.a }}", "Ann and 1"],
    ["{{ params.a }}{{ params.b }}", "1true"],
    ["obj={{ params.obj }}", 'obj={"x":[1,2]}'],
    ["[{{ params.nothing }}]", "[]"],
    ["{{ env.HOOK }}/orders/{{ params.who }}", "https://hooks.example/orders/Ann"],
    ["no placeholder {{ here", "no placeholder {{ here"],
    ["{{ '}}' }} inside quotes", "}} inside quotes"],
    ["map: {{ {a: {b: params.a}} }}!", 'map: {"a":{"b":1}}!'],
    ["brace {{ params.brace }}", "brace }}"],
  ])("%s", (text, expected) => {
    expect(value(resolveValue(text, root, url))).toBe(expected);
  });

  it("the same rule holds in agent step params (a difference from the original, which passed them on as written)", () => {
    expect(value(resolveValue("Hello {{ params.who }}", root, VALUE_FIELDS.agentStepParam))).toBe("Hello Ann");
  });
});

describe("env", () => {
  it("is an error wherever there is no env (sub-workflows), in any form", () => {
    for (const text of ["{{ env.TOK }}", "x {{ env.TOK }} y", "{{ env.TOK || 'dflt' }}", "env:TOK"]) {
      const error = failure(resolveValue(text, sub, url));
      expect(error.kind).toBe("env-unavailable");
      expect(error.message).toContain('env var "TOK"');
      expect(error.message).toContain("only in root workflows");
      expect(error.message).not.toMatch(/env:|param:/);
    }
    const whole = failure(resolveValue("{{ keys(env) }}", sub, url));
    expect(whole.kind).toBe("env-unavailable");
  });

  it("an unset variable is an error with the exact text callers prefix", () => {
    for (const text of ["{{ env.NOPE }}", "a {{ env.NOPE }}", "{{ env.NOPE || 'dflt' }}", "env:NOPE"]) {
      const error = failure(resolveValue(text, root, url));
      expect(error.kind).toBe("env-unset");
      expect(error.message).toBe('env var "NOPE" is not set');
      expect(`webhook url: ${error.message}`).toBe('webhook url: env var "NOPE" is not set');
    }
  });

  it("an `env` field of another object is not the env namespace", () => {
    const scope: ValueScope = { env: null, context: { item: { env: { X: "inner" } } } };
    expect(value(resolveValue("{{ item.env.X }}", scope, url))).toBe("inner");
  });

  it("the scope's env wins over an `env` already in the context, and is absent when null", () => {
    const scope: ValueScope = { env: null, context: { env: { TOK: "leaked" } } };
    expect(failure(resolveValue("{{ env.TOK }}", scope, url)).kind).toBe("env-unavailable");
    expect(value(resolveValue("{{ keys(@) }}", scope, url))).toEqual([]);
  });
});

describe("missing values and bad expressions", () => {
  it("a syntax error keeps the ExpressionError as its cause", () => {
    const error = failure(resolveValue("{{ fetch. }}", root, url));
    expect(error.kind).toBe("expression");
    expect(error.message).toBe('template "{{ fetch. }}": syntax error: incomplete expression');
    expect(error.cause).toBeInstanceOf(ExpressionError);
  });

  it("an evaluation error inside text names its placeholder", () => {
    const error = failure(resolveValue("n={{ length(params.a) }}", root, url));
    expect(error.kind).toBe("expression");
    expect(error.message).toMatch(/^template "\{\{ length\(params\.a\) \}\}": evaluation error: /);
  });

  it("a missing field is null (whole) or empty (inline), not an error", () => {
    expect(value(resolveValue("{{ step.nope.x }}", root, url))).toBeNull();
    expect(value(resolveValue("<{{ step.nope.x }}>", root, url))).toBe("<>");
  });

  it("no params: templates read null", () => {
    expect(value(resolveValue("{{ params.who }}", { env: null }, url))).toBeNull();
  });
});

describe("legacy forms resolve as before, in the fields that accept them", () => {
  it("env:NAME reads the env", () => {
    const outcome = resolveValue("env:HOOK", root, url);
    expect(value(outcome)).toBe("https://hooks.example");
    expect(outcome.ok && outcome.source).toEqual({ kind: "legacy-env", name: "HOOK" });
  });

  it("param:NAME reads the string params", () => {
    expect(value(resolveValue("param:n", sub, VALUE_FIELDS.workflowStepParam))).toBe("5");
    const none = failure(resolveValue("param:who", root, url));
    expect(none.kind).toBe("no-params");
    expect(none.message).toBe('param "who" referenced but no params context is available');
    const missing = failure(resolveValue("param:gone", sub, url));
    expect(missing.kind).toBe("param-missing");
    expect(missing.message).toBe('param "gone" is not available in this invocation');
  });

  it("a backtick literal is its inner text, and never evaluated", () => {
    expect(value(resolveValue("`env:X {{ nope. }}`", root, url))).toBe("env:X {{ nope. }}");
    expect(value(resolveValue("``", root, url))).toBe("");
    expect(value(resolveValue("`", root, url))).toBe("`");
  });

  it("the prefix is matched as written: a leading space makes a literal", () => {
    expect(value(resolveValue(" env:HOOK", root, url))).toBe(" env:HOOK");
  });

  it("fields that never accepted a form keep it literal", () => {
    expect(value(resolveValue("`code`", root, VALUE_FIELDS.agentStepParam))).toBe("`code`");
    expect(value(resolveValue("param:who", root, VALUE_FIELDS.agentStepParam))).toBe("param:who");
    expect(value(resolveValue("env:TOK", root, VALUE_FIELDS.serverAuthSecret))).toBe("env:TOK");
  });
});

describe("plain strings", () => {
  it("are literals by default", () => {
    expect(value(resolveValue("https://example.com/x", root, url))).toBe("https://example.com/x");
    expect(value(resolveValue("params.who", root, VALUE_FIELDS.workflowStepParam))).toBe("params.who");
  });

  it("are bare JMESPath in webhook bodies", () => {
    const body = VALUE_FIELDS.webhookBody;
    expect(value(resolveValue("params.obj.x", root, body))).toEqual([1, 2]);
    expect(value(resolveValue("{{ params.a }}", root, body))).toBe(1);
    expect(value(resolveValue("env:TOK", root, body))).toBe("s3cret");
    const error = failure(resolveValue("params.", root, body));
    expect(error.message).toBe('expression "params.": syntax error: incomplete expression');
  });
});

describe("secret marking", () => {
  const cases: [string, boolean][] = [
    ["{{ env.TOK }}", true],
    ["env:TOK", true],
    ["Bearer {{ env.TOK }}", true],
    ["{{ env.HOOK }}", false],
    ["{{ params.obj }}", true],
    ["{{ params.obj.x[0] }}", true],
    ["{{ params.who }}", false],
    ["literal", false],
  ];
  it.each(cases)("%s → secret %s", (text, secret) => {
    const outcome = resolveValue(text, root, url);
    expect(outcome.ok && outcome.secret).toBe(secret);
  });

  it("nothing is secret when the scope names no secrets", () => {
    const outcome = resolveValue("{{ env.TOK }}", { env: { TOK: "x" } }, url);
    expect(outcome.ok && outcome.secret).toBe(false);
  });

  it("reports every env var and param read", () => {
    const outcome = resolveValue("{{ env.HOOK }}/{{ params.who }}?t={{ env.TOK }}", root, url);
    expect(outcome.ok && outcome.reads).toEqual({ env: ["HOOK", "TOK"], envWhole: false, params: ["who"] });
  });
});

describe("the resolver does not change its inputs", () => {
  it("leaves the context and params as they were", () => {
    const context: JsonObject = { step: {}, env: { A: "1" } };
    const scope: ValueScope = { env: { B: "2" }, params: { p: 1 }, context };
    expect(value(resolveValue("{{ env.B }}", scope, url))).toBe("2");
    expect(context).toEqual({ step: {}, env: { A: "1" } });
  });
});
