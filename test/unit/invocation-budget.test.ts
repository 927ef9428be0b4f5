// How many fanout items a runtime host asks for with its results: only as many as its current
// invocation's subrequests still allow (50 on Workers Free), each item counted at 2 (its LLM call
// and a report of its own), with a report for each of its steps still running.
import { describe, expect, it } from "vitest";
import { InvocationBudget, SUBREQUESTS_PER_INVOCATION } from "../../workers/runtime/src/host/invocation-budget.ts";

describe("a host's invocation budget", () => {
  it("allows items while they fit in the invocation's subrequests, and starts again with a new invocation", () => {
    const budget = new InvocationBudget();
    expect(SUBREQUESTS_PER_INVOCATION).toBe(50);
    // A fresh invocation, the report about to be sent counted: (50 - 1) / 2.
    expect(budget.items(1)).toBe(24);
    // Eight items' LLM calls and one report made; seven steps still to report and this report.
    for (let i = 0; i < 9; i++) budget.add();
    expect(budget.items(8)).toBe(16);
    for (let i = 0; i < 31; i++) budget.add();
    expect(budget.spent).toBe(40);
    expect(budget.items(8)).toBe(1);
    expect(budget.items(9)).toBe(0);
    budget.add();
    budget.add();
    expect(budget.items(8)).toBe(0);
    budget.reset();
    expect(budget.items(8)).toBe(21);
  });
});
