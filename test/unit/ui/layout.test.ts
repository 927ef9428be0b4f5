import { describe, expect, it } from "vitest";
import { crossings, edgePath, layoutDag, ranks } from "../../../ui/src/layout.ts";

const dag = (edges: Record<string, string[]>) => Object.entries(edges).map(([id, dependencies]) => ({ id, dependencies }));

describe("the viewer's DAG layout", () => {
  it("ranks each step by its longest path from a source", () => {
    const r = ranks(dag({ fetch: [], audit: [], shape: ["fetch"], notify: ["shape"], summary: ["shape", "notify", "audit"] }));
    expect(Object.fromEntries(r)).toEqual({ fetch: 0, audit: 0, shape: 1, notify: 2, summary: 3 });
  });

  it("ignores unknown dependencies and survives a cycle", () => {
    expect(Object.fromEntries(ranks(dag({ a: ["ghost"], b: ["a"] })))).toEqual({ a: 0, b: 1 });
    expect(ranks(dag({ a: ["b"], b: ["a"] })).size).toBe(2);
  });

  it("puts ranks in columns left to right without overlapping nodes", () => {
    const layout = layoutDag(dag({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] }), { nodeWidth: 100, nodeHeight: 40, rankGap: 50, nodeGap: 10, margin: 0 });
    const box = (id: string) => layout.nodes.get(id)!;
    expect([box("a").x, box("b").x, box("d").x]).toEqual([0, 150, 300]);
    expect(box("b").x).toBe(box("c").x);
    expect(Math.abs(box("b").y - box("c").y)).toBeGreaterThanOrEqual(50);
    expect(layout.width).toBe(400);
    expect(layout.height).toBe(90);
  });

  it("routes a long edge through one point per skipped rank, from right side to left side", () => {
    const layout = layoutDag(dag({ a: [], b: ["a"], c: ["b", "a"] }), { nodeWidth: 100, nodeHeight: 40, rankGap: 50, margin: 0 });
    const long = layout.edges.find((e) => e.from === "a" && e.to === "c")!;
    expect(long.points).toHaveLength(4);
    expect(long.points[0]![0]).toBe(100); // a's right side
    expect(long.points[3]![0]).toBe(300); // c's left side
    expect(layout.edges).toHaveLength(3);
  });

  it("untangles crossing edges with barycenter sweeps", () => {
    // Written in an order that crosses: a1→b2, a2→b1.
    const input = dag({ a1: [], a2: [], b1: ["a2"], b2: ["a1"] });
    const layout = layoutDag(input);
    const order = (ids: string[]) => ids.sort((x, y) => layout.nodes.get(x)!.y - layout.nodes.get(y)!.y);
    const left = order(["a1", "a2"]);
    const right = order(["b1", "b2"]);
    const partner: Record<string, string> = { a1: "b2", a2: "b1" };
    expect(right).toEqual(left.map((id) => partner[id]));
    expect(
      crossings([
        [
          { key: "a1", succs: ["b2"] },
          { key: "a2", succs: ["b1"] },
        ],
        [
          { key: "b1", succs: [] },
          { key: "b2", succs: [] },
        ],
      ]),
    ).toBe(1);
  });

  it("handles an empty workflow", () => {
    const layout = layoutDag([]);
    expect(layout.nodes.size).toBe(0);
    expect(layout.edges).toEqual([]);
  });

  it("draws edges with level tangents (straight when level)", () => {
    expect(
      edgePath([
        [0, 10],
        [100, 10],
      ]),
    ).toBe("M0,10 L100,10");
    expect(
      edgePath([
        [0, 0],
        [100, 50],
      ]),
    ).toBe("M0,0 C50,0 50,50 100,50");
  });
});
