import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../../workers/orchestrator/src/run/callback-batch.ts";

/** A batch application that stays open until the test lets it finish. */
function gatedApply() {
  const batches: number[][] = [];
  const gates: Array<(err?: Error) => void> = [];
  const apply = (batch: readonly number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push([...batch]);
      gates.push((err) => (err ? reject(err) : resolve()));
    });
  return { batches, gates, apply };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("GroupCommit", () => {
  it("applies a value at once when nothing is being applied", async () => {
    const { batches, gates, apply } = gatedApply();
    const group = new GroupCommit(apply);
    const done = group.add(1);
    await settle();
    expect(batches).toEqual([[1]]);
    gates[0]!();
    await expect(done).resolves.toBeUndefined();
  });

  it("applies the values that arrived meanwhile together, and answers none before its batch is applied", async () => {
    const { batches, gates, apply } = gatedApply();
    const group = new GroupCommit(apply);
    const answered: number[] = [];
    const adds = [group.add(1).then(() => answered.push(1))];
    await settle();
    adds.push(...[2, 3, 4].map((n) => group.add(n).then(() => answered.push(n))));
    await settle();
    expect(batches).toEqual([[1]]);
    gates[0]!();
    await settle();
    expect(answered).toEqual([1]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    const late = group.add(5).then(() => answered.push(5));
    await settle();
    expect(answered).toEqual([1]); // 2–4 wait for their commit
    gates[1]!();
    await settle();
    expect(answered.sort()).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    gates[2]!();
    await Promise.all([...adds, late]);
    expect(answered).toEqual([1, 2, 3, 4, 5]);
  });

  it("rejects every value of a failed batch, and applies the next batch anyway", async () => {
    const { batches, gates, apply } = gatedApply();
    const group = new GroupCommit(apply);
    const first = group.add(1);
    await settle();
    const second = group.add(2);
    const third = group.add(3);
    gates[0]!();
    await first;
    await settle();
    const after = group.add(4);
    gates[1]!(new Error("storage write failed"));
    await expect(second).rejects.toThrow("storage write failed");
    await expect(third).rejects.toThrow("storage write failed");
    await settle();
    expect(batches).toEqual([[1], [2, 3], [4]]);
    gates[2]!();
    await expect(after).resolves.toBeUndefined();
  });
});
