import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../shared/contracts/records.ts";
import { faultsInjected, withStubFaults } from "../../../shared/util/test-faults.ts";
import { withMirrorFaults } from "../../../workers/orchestrator/src/run/test-faults.ts";
import { MemoryStore } from "./run-fakes.ts";

function runRow(id: string, status: RunRecord["status"]): RunRecord {
  return { id, workflow_name: "w", status, created_at: "", updated_at: "" };
}

const change = (run: RunRecord) => ({ run, steps: [], events: [], approvals: [] });

describe("KTSU_TEST_FAULTS", () => {
  it("is inert when unset or empty: the Store itself is used", () => {
    const store = new MemoryStore();
    expect(withMirrorFaults(store, undefined)).toBe(store);
    expect(withMirrorFaults(store, "")).toBe(store);
    expect(withMirrorFaults(store, "some_other_fault:x")).toBe(store);
  });

  it("fails the first batch carrying a matching run's end, once, and nothing else", async () => {
    const store = new MemoryStore();
    const mirror = withMirrorFaults(store, "mirror_fails_once_at_end:fault-");
    const before = faultsInjected("mirror_fails_once_at_end");
    await mirror.mirror(change(runRow("fault-1", "running"))); // not an end
    await mirror.mirror(change(runRow("other", "complete"))); // not a matching id
    await expect(mirror.mirror(change(runRow("fault-1", "complete")))).rejects.toThrow("test fault");
    await mirror.mirror(change(runRow("fault-1", "complete"))); // the retry goes through
    expect(faultsInjected("mirror_fails_once_at_end")).toBe(before + 1);
    expect(store.batches).toBe(3);
    expect(store.runs.get("fault-1")?.status).toBe("complete");
  });
});

describe("KTSU_TEST_FAULTS do_call_fails_once", () => {
  const stub = { start: async (id: string) => `started ${id}` };

  it("is inert unless armed for the run id: the stub itself is used", () => {
    expect(withStubFaults(stub, "fault-do-1", undefined)).toBe(stub);
    expect(withStubFaults(stub, "fault-do-1", "mirror_fails_once_at_end:fault-do-")).toBe(stub);
    expect(withStubFaults(stub, "other-1", "do_call_fails_once:fault-do-")).toBe(stub);
  });

  it("rejects the first call of each method per run id with a retryable error, then passes calls through", async () => {
    const before = faultsInjected("do_call_fails_once");
    const first = withStubFaults(stub, "fault-do-unit-1", "do_call_fails_once:fault-do-");
    await expect(first.start("a")).rejects.toMatchObject({ retryable: true });
    // A new stub for the same run does not fail again: the fault fired for this run and method.
    await expect(withStubFaults(stub, "fault-do-unit-1", "do_call_fails_once:fault-do-").start("b")).resolves.toBe("started b");
    await expect(withStubFaults(stub, "fault-do-unit-2", "do_call_fails_once:fault-do-").start("c")).rejects.toThrow("test fault");
    expect(faultsInjected("do_call_fails_once")).toBe(before + 2);
  });

  it("keys the once-only failure by the stub's name when one is given (a run's several step hosts each fail once)", async () => {
    const setting = "do_call_fails_once:fault-do-";
    await expect(withStubFaults(stub, "fault-do-unit-3", setting, "host a").start("a")).rejects.toThrow("test fault");
    await expect(withStubFaults(stub, "fault-do-unit-3", setting, "host b").start("b")).rejects.toThrow("test fault");
    await expect(withStubFaults(stub, "fault-do-unit-3", setting, "host a").start("c")).resolves.toBe("started c");
  });
});

describe("KTSU_TEST_FAULTS do_call_fails", () => {
  const stub = { start: async (id: string) => `started ${id}` };

  it("rejects every call for the armed run ids, and no other run's", async () => {
    const before = faultsInjected("do_call_fails");
    const setting = "do_call_fails:fault-down-";
    for (const id of ["a", "b", "c"]) await expect(withStubFaults(stub, "fault-down-1", setting).start(id)).rejects.toMatchObject({ retryable: true });
    expect(withStubFaults(stub, "fault-up-1", setting)).toBe(stub);
    expect(faultsInjected("do_call_fails")).toBe(before + 3);
  });
});
