// The orchestrator's input helpers that need no Worker: idempotency key spaces and the walk
// that finds numbers JSON.parse turned into Infinity.
import { describe, expect, it } from "vitest";
import { bundleEntry } from "../../shared/bundle.ts";
import { nonFiniteNumberAt } from "../../workers/orchestrator/src/api/body.ts";
import { claimFor, keyScope, runIdForKey } from "../../workers/orchestrator/src/idempotency.ts";

describe("idempotency key spaces", () => {
  it("a key names one run per workflow and credential, always the same one", async () => {
    const base = { workflow: "ingest", key: "order-1" };
    const id = await runIdForKey(base);
    expect(id).toMatch(/^run_[0-9a-f]{16}$/);
    expect(await runIdForKey({ ...base })).toBe(id);
    expect(await runIdForKey({ ...base, credential: null })).toBe(id);
    expect(await runIdForKey({ ...base, workflow: "other" })).not.toBe(id);
    const withToken = await runIdForKey({ ...base, credential: "token-a" });
    expect(withToken).not.toBe(id);
    expect(await runIdForKey({ ...base, credential: "token-b" })).not.toBe(withToken);
    // The parts cannot run into each other: a workflow name ending where a key begins is another space.
    expect(await runIdForKey({ workflow: "a", key: "bc" })).not.toBe(await runIdForKey({ workflow: "ab", key: "c" }));
  });

  it("the scope reveals neither the key nor the credential", async () => {
    const scope = await keyScope({ workflow: "w", credential: "secret-token", key: "my-key" });
    expect(scope).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the body hash ignores key order and sees any other difference", async () => {
    const space = { workflow: "w", key: "k" };
    const a = await claimFor(space, { x: 1, y: { p: [1, 2], q: "s" } });
    expect((await claimFor(space, { y: { q: "s", p: [1, 2] }, x: 1 })).bodyHash).toBe(a.bodyHash);
    expect((await claimFor(space, { x: 1, y: { p: [2, 1], q: "s" } })).bodyHash).not.toBe(a.bodyHash);
    expect((await claimFor(space, { x: "1", y: { p: [1, 2], q: "s" } })).bodyHash).not.toBe(a.bodyHash);
    expect(a.runId).toBe(await runIdForKey(space));
  });
});

describe("numbers out of range in a parsed body", () => {
  it("names the first one's path, or null when every number is finite", () => {
    expect(nonFiniteNumberAt(JSON.parse('{"a":1,"b":[2,{"c":3.5}]}'))).toBeNull();
    expect(nonFiniteNumberAt(JSON.parse('{"a":1e400}'))).toBe("a");
    expect(nonFiniteNumberAt(JSON.parse('{"a":{"b":[0,-1e400]},"z":1e400}'))).toBe("a.b[1]");
    expect(nonFiniteNumberAt(JSON.parse("[1,1e999]"))).toBe("[1]");
    expect(nonFiniteNumberAt(JSON.parse("1e400"))).toBe("");
  });

  it("walks a deeply nested body without overflowing the stack", () => {
    const depth = 200_000;
    const deep = JSON.parse(`${"[".repeat(depth)}1e400${"]".repeat(depth)}`);
    expect(nonFiniteNumberAt(deep)).toBe("[0]".repeat(depth));
  });
});

describe("bundle lookups", () => {
  it("find only a table's own entries, never Object.prototype's members", () => {
    const table: Record<string, number> = { a: 1 };
    expect(bundleEntry(table, "a")).toBe(1);
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) expect(bundleEntry(table, name)).toBeUndefined();
    expect(bundleEntry(JSON.parse('{"__proto__": 7}') as Record<string, number>, "__proto__")).toBe(7);
  });
});
