import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../shared/contracts/records.ts";
import { faultsInjected, withMirrorFaults } from "../../../workers/orchestrator/src/run/test-faults.ts";
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
