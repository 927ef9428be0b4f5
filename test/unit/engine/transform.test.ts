import { describe, expect, it } from "vitest";
import type { JsonObject, JsonValue } from "../../../shared/expr/json.ts";
import { applyTransformOp, collectTransformInputs, deepMerge, runTransform, TransformError } from "../../../workers/orchestrator/src/engine/transform.ts";

const outputs: Record<string, JsonObject> = {
  step1: { a: 1, shared: "left", nested: { x: 1, list: [1] } },
  step2: { b: 2, shared: "right", nested: { y: 2, list: [2] } },
  people: {
    items: [
      { name: "Bob", age: 30 },
      { name: "Alice", age: 25 },
      { name: "Carol", age: 35 },
    ],
  },
};

const op = (name: string, args: unknown, current: JsonValue) => applyTransformOp(name, args, current, outputs);

function opError(name: string, args: unknown, current: JsonValue): string {
  try {
    op(name, args, current);
  } catch (error) {
    expect(error).toBeInstanceOf(TransformError);
    return (error as Error).message;
  }
  throw new Error("expected the op to fail");
}

describe("transform inputs", () => {
  it("none → null; one → the whole output or null; several → shallow merge, later wins, unknown skipped", () => {
    expect(collectTransformInputs([], outputs)).toBeNull();
    expect(collectTransformInputs([{ from: "step1" }], outputs)).toEqual(outputs.step1);
    expect(collectTransformInputs([{ from: "nope" }], outputs)).toBeNull();
    expect(collectTransformInputs([{ from: "step1" }, { from: "nope" }, { from: "step2" }], outputs)).toEqual({
      a: 1,
      b: 2,
      shared: "right",
      nested: { y: 2, list: [2] }, // shallow: the later object replaces the earlier one
    });
    expect(collectTransformInputs([{ from: "toString" }], outputs)).toBeNull();
  });
});

describe("merge", () => {
  it("deep-merges step outputs into the current value", () => {
    expect(op("merge", ["step1", "step2"], null)).toEqual({
      a: 1,
      b: 2,
      shared: "right",
      nested: { x: 1, y: 2, list: [1, 2] },
    });
    expect(op("merge", ["missing", "step2"], null)).toEqual(outputs.step2);
    expect(op("merge", [], { z: 1 })).toEqual({ z: 1 });
  });

  it("pair rules: map+map recursive, array+array concatenated, other → right", () => {
    expect(deepMerge({ a: { b: 1, c: 1 } }, { a: { c: 2 } })).toEqual({ a: { b: 1, c: 2 } });
    expect(deepMerge([1], [2, 3])).toEqual([1, 2, 3]);
    expect(deepMerge([1], { a: 1 })).toEqual({ a: 1 });
    expect(deepMerge({ a: 1 }, 5)).toBe(5);
    expect(deepMerge(null, { a: 1 })).toEqual({ a: 1 });
  });

  it("keeps a `__proto__` key as data", () => {
    const merged = deepMerge({ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}}')) as JsonObject;
    expect(Object.keys(merged)).toEqual(["a", "__proto__"]);
    expect((merged as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("does not mutate step outputs", () => {
    const before = JSON.stringify(outputs);
    op("merge", ["step1", "step2"], { nested: { z: 0 } });
    expect(JSON.stringify(outputs)).toBe(before);
  });

  it("rejects a non-list argument", () => {
    expect(opError("merge", "step1", null)).toBe("op merge: merge: expected []interface{}, got string");
    expect(opError("merge", { a: 1 }, null)).toBe("op merge: merge: expected []interface{}, got map[string]interface {}");
  });
});

describe("filter and map", () => {
  const items = [
    { status: "active", n: 1 },
    { status: "idle", n: 2 },
  ];

  it("filters arrays; wraps objects and scalars; null → []", () => {
    expect(op("filter", { expr: "status == 'active'" }, items)).toEqual([items[0]]);
    expect(op("filter", { expr: "status == 'none'" }, items)).toEqual([]);
    expect(op("filter", { expr: "status == 'idle'" }, items[1] as JsonValue)).toEqual([items[1]]);
    expect(op("filter", { expr: "@ == `5`" }, 5)).toEqual([5]);
    expect(op("filter", { expr: "status" }, null)).toEqual([]);
  });

  it("maps each item, same length; wraps like filter", () => {
    expect(op("map", { expr: "n" }, items)).toEqual([1, 2]);
    expect(op("map", { expr: "missing" }, items)).toEqual([null, null]);
    expect(op("map", { expr: "n" }, { n: 7 })).toEqual([7]);
    expect(op("map", { expr: "@" }, "s")).toEqual(["s"]);
    expect(op("map", { expr: "n" }, null)).toEqual([]);
  });

  it("error texts", () => {
    expect(opError("filter", "x", [])).toBe("op filter: filter: expected map, got string");
    expect(opError("map", ["x"], [])).toBe("op map: map: expected map, got []interface {}");
    expect(opError("filter", { expr: "a ==" }, [])).toMatch(/^op filter: jmespath filter \[\?a ==\]: syntax error: /);
    expect(opError("map", { expr: "a." }, [])).toMatch(/^op map: jmespath map "a\.": syntax error: /);
    expect(opError("map", { expr: "length(@)" }, [1])).toMatch(/^op map: jmespath map "length\(@\)": evaluation error: /);
  });
});

describe("sort", () => {
  const rows: JsonObject[] = [{ id: "a", v: 2 }, { id: "b", v: null }, { id: "c", v: 1 }, { id: "d" }, { id: "e", v: 2 }];
  const ids = (value: JsonValue) => (value as { id: string }[]).map((row) => row.id).join("");

  it("ascending: numeric, nulls last, equal keys stable", () => {
    expect(ids(op("sort", { field: "v" }, rows))).toBe("caebd");
    expect(ids(op("sort", { field: "v", order: "asc" }, rows))).toBe("caebd");
    expect(ids(op("sort", { field: "v", order: "DESC" }, rows))).toBe("caebd"); // only exact "desc" reverses
  });

  it("descending keeps nulls last and ties stable", () => {
    expect(ids(op("sort", { field: "v", order: "desc" }, rows))).toBe("aecbd");
  });

  it("compares string forms when not both numbers", () => {
    const mixed = [{ k: "b" }, { k: 10 }, { k: "a" }, { k: 9 }, { k: true }];
    expect(op("sort", { field: "k" }, mixed)).toEqual([{ k: 9 }, { k: 10 }, { k: "a" }, { k: "b" }, { k: true }]);
    // 9 vs 10 numerically; "10" < "9" as strings would have put 10 first
    expect(op("sort", { field: "k" }, [{ k: "10" }, { k: "9" }])).toEqual([{ k: "10" }, { k: "9" }]);
  });

  it("sorting people by age puts Alice (25) first", () => {
    const sorted = op("sort", { field: "age" }, outputs.people!.items as JsonValue) as { name: string }[];
    expect(sorted.map((p) => p.name)).toEqual(["Alice", "Bob", "Carol"]);
  });

  it("a bad field counts as null (input order kept); errors on non-arrays and non-map args", () => {
    expect(ids(op("sort", { field: "v.[" }, rows))).toBe("abcde");
    expect(opError("sort", { field: "v" }, { a: 1 })).toBe("op sort: sort: expected []interface{}, got map[string]interface {}");
    expect(opError("sort", { field: "v" }, null)).toBe("op sort: sort: expected []interface{}, got <nil>");
    expect(opError("sort", { field: "v" }, "x")).toBe("op sort: sort: expected []interface{}, got string");
    expect(opError("sort", "v", [])).toBe("op sort: sort: expected map, got string");
  });
});

describe("flatten and deduplicate", () => {
  it("flattens one level; non-arrays pass through", () => {
    expect(op("flatten", {}, [[1, 2], [3], 4])).toEqual([1, 2, 3, 4]);
    expect(op("flatten", null, [[[1]], [2]])).toEqual([[1], 2]);
    expect(op("flatten", null, { a: 1 })).toEqual({ a: 1 });
  });

  it("deduplicates by the string form of the field, first wins", () => {
    const rows: JsonObject[] = [
      { id: 1, n: "a" },
      { id: 2, n: "b" },
      { id: 1, n: "c" },
      { id: "1", n: "d" }, // same string form as 1
      { n: "e" },
      { id: null, n: "f" }, // null key, like the missing one
      { id: "", n: "g" }, // "" is not null
      { id: { b: 1, a: 2 }, n: "h" },
      { id: { a: 2, b: 1 }, n: "i" }, // same object, other key order
    ];
    const names = (op("deduplicate", { field: "id" }, rows) as { n: string }[]).map((row) => row.n).join("");
    expect(names).toBe("abegh");
  });

  it("[] stays []; non-arrays pass through; non-map args fail", () => {
    expect(op("deduplicate", { field: "id" }, [])).toEqual([]);
    expect(op("deduplicate", { field: "id" }, { id: 1 })).toEqual({ id: 1 });
    expect(opError("deduplicate", null, [])).toBe("op deduplicate: deduplicate: expected map, got <nil>");
  });
});

describe("runTransform", () => {
  it("unknown ops fail with the op name", () => {
    expect(() => runTransform({ inputs: [], ops: [{ explode: {} }] }, outputs)).toThrow("op explode: unknown op: explode");
  });

  it("worked example: inputs [step1, step2] + merge", () => {
    const { result } = runTransform({ inputs: [{ from: "step1" }, { from: "step2" }], ops: [{ merge: ["step1", "step2"] }] }, outputs);
    expect(result).toMatchObject({ a: 1, b: 2 });
  });

  it("worked example: map → flatten → filter leaves one item", () => {
    const data: Record<string, JsonObject> = {
      fetch: {
        pages: [
          {
            items: [
              { id: 1, status: "active" },
              { id: 2, status: "idle" },
            ],
          },
          { items: [{ id: 3, status: "idle" }] },
        ],
      },
    };
    const { result } = runTransform(
      {
        inputs: [{ from: "fetch" }],
        ops: [{ map: { expr: "pages" } }, { flatten: {} }, { map: { expr: "items" } }, { flatten: {} }, { filter: { expr: "status == 'active'" } }],
      },
      data,
    );
    expect(result).toEqual([{ id: 1, status: "active" }]);
  });

  it("applies ops in order, with a Map of outputs too", () => {
    const { result } = runTransform(
      {
        inputs: [{ from: "people" }],
        ops: [{ map: { expr: "items" } }, { flatten: null }, { sort: { field: "age", order: "desc" } }, { map: { expr: "name" } }],
      },
      new Map(Object.entries(outputs)),
    );
    expect(result).toEqual(["Carol", "Bob", "Alice"]);
    expect(runTransform({ inputs: [], ops: [] }, outputs)).toEqual({ result: null });
  });
});
