// Reading a value source without resolving it: the form, what it reads, and
// the `{{ }}` text `ktsu validate` suggests for a legacy form.

import { describe, expect, it } from "vitest";
import { parseValueSource, resolveValue, sourceReads, templateReplacement, VALUE_FIELDS } from "../../../shared/values/index.ts";

const url = VALUE_FIELDS.webhookUrl;

describe("templateReplacement", () => {
  it.each([
    ["env:TOK", "{{ env.TOK }}"],
    ["param:who", "{{ params.who }}"],
    ["env:my-var", '{{ env."my-var" }}'],
    ["`plain text`", "plain text"],
    ["`env:X`", "{{ 'env:X' }}"],
    ["`{{ x }}`", "{{ '{{ x }}' }}"],
    ["`it's`", "it's"],
    ["`it's {{`", "it's {{"],
    ["`param:o'k`", "{{ 'param:o\\'k' }}"],
  ])("%s → %s", (text, replacement) => {
    expect(templateReplacement(parseValueSource(text, url), url)).toBe(replacement);
  });

  it("a replacement reads the same value as the legacy form", () => {
    const scope = { env: { TOK: "t" }, paramStrings: { who: "Ann" }, params: { who: "Ann" } };
    for (const text of ["env:TOK", "param:who", "`env:X`", "`{{ x }}`", "`param:o'k`", "`plain`"]) {
      const legacy = resolveValue(text, scope, url);
      const modern = resolveValue(templateReplacement(parseValueSource(text, url), url) as string, scope, url);
      expect(modern.ok && modern.value, text).toEqual(legacy.ok && legacy.value);
    }
  });

  it("gives nothing for the current forms", () => {
    expect(templateReplacement(parseValueSource("{{ env.X }}", url), url)).toBeUndefined();
    expect(templateReplacement(parseValueSource("https://x", url), url)).toBeUndefined();
  });
});

describe("sourceReads", () => {
  it.each([
    ["{{ env.A }}", { env: ["A"], envWhole: false, params: [], direct: { namespace: "env", name: "A" } }],
    ['{{ env."A" }}', { env: ["A"], envWhole: false, params: [], direct: { namespace: "env", name: "A" } }],
    ["{{ params.p }}", { env: [], envWhole: false, params: ["p"], direct: { namespace: "params", name: "p" } }],
    ["{{ env.A[0] }} {{ params.p.q }}", { env: ["A"], envWhole: false, params: ["p"] }],
    ["{{ env.* }}", { env: [], envWhole: true, params: [] }],
    ["{{ item.env.A }}", { env: [], envWhole: false, params: [] }],
    ["{{ 'env.A' }}", { env: [], envWhole: false, params: [] }],
    ["env:A", { env: ["A"], envWhole: false, params: [], direct: { namespace: "env", name: "A" } }],
    ["literal env.A", { env: [], envWhole: false, params: [] }],
  ])("%s", (text, reads) => {
    expect(sourceReads(parseValueSource(text, url))).toEqual(reads);
  });

  it("reads bare expressions in fields that take them", () => {
    expect(sourceReads(parseValueSource("env.A || params.b", VALUE_FIELDS.webhookBody))).toEqual({ env: ["A"], envWhole: false, params: ["b"] });
  });
});
