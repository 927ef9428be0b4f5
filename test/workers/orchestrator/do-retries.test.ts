// A transient Durable Object error (the runtime's `retryable: true`) on a call that is
// safe to repeat does not fail the work: the call is retried. KTSU_TEST_FAULTS in
// vitest.config.ts makes the first call of each method on a run's stub fail that way,
// for run ids with FAULT_PREFIX only (sub-runs too: their ids start with the parent's).
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryDurableObjectCall } from "../../../shared/util/durable-object-retries.ts";
import { findInvocable, isRefusal, rootRun } from "../../../workers/orchestrator/src/run/admission.ts";
import { runStub } from "../../../workers/orchestrator/src/run/stub.ts";
import { faultsInjected } from "../../../shared/util/test-faults.ts";
import { settled, step } from "./helpers.ts";

const FAULT_PREFIX = "fault-do-";

describe("transient Durable Object errors", () => {
  it("a call that is not retried fails on them: the fault is real", async () => {
    const workflow = findInvocable("secret-pass-parent");
    if (isRefusal(workflow)) throw new Error("secret-pass-parent is not in the test project");
    const runId = `${FAULT_PREFIX}${crypto.randomUUID()}`;
    await expect(runStub(env, runId).start(rootRun(workflow, runId, { password: "pw-unused-1", note: "n" }))).rejects.toMatchObject({ retryable: true });
  });

  it("a sub-workflow step and an API read succeed anyway", async () => {
    const workflow = findInvocable("secret-pass-parent");
    if (isRefusal(workflow)) throw new Error("secret-pass-parent is not in the test project");
    const runId = `${FAULT_PREFIX}${crypto.randomUUID()}`;
    const before = faultsInjected("do_call_fails_once");

    // The parent's start fails once, then the child's start (the sub-workflow step), then the child's report to the parent.
    await retryDurableObjectCall(() => runStub(env, runId).start(rootRun(workflow, runId, { password: "pw-retry-8b2d", note: "through" })));
    const view = await settled(runId);
    expect(view.run.status).toBe("complete");
    expect(step(view, "call").status).toBe("complete");
    expect(step(view, "call").output).toEqual({ copied: "[REDACTED]", note: "through" });
    expect(faultsInjected("do_call_fails_once")).toBe(before + 3);

    // GET /runs/{id}/events reads from the run's Durable Object: its first call fails too.
    const res = await SELF.fetch(`https://ktsu.test/runs/${encodeURIComponent(runId)}/events`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("event: run_completed");
    expect(faultsInjected("do_call_fails_once")).toBe(before + 4);
  });
});
