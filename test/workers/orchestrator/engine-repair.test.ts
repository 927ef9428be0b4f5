import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { findInvocable, isRefusal, rootRun } from "../../../workers/orchestrator/src/run/admission.ts";
import { runStub } from "../../../workers/orchestrator/src/run/stub.ts";
import { faultsInjected } from "../../../shared/util/test-faults.ts";
import { sweepStaleRuns } from "../../../workers/orchestrator/src/sweep.ts";
import { eventually, get, type RunView, script, settled, start, step } from "./helpers.ts";

/** KTSU_TEST_FAULTS in vitest.config.ts arms the mirror fault for run ids with this prefix only. */
const FAULT_PREFIX = "fault-mirror-";

async function eventTypes(runId: string): Promise<{ seq: number; type: string }[]> {
  const { results } = await env.DB.prepare("SELECT seq, type FROM events WHERE run_id = ? ORDER BY seq").bind(runId).all<{ seq: number; type: string }>();
  return results;
}

describe("D1 mirror failures", () => {
  it("a run whose final D1 batch fails once still ends complete in D1, with every event", async () => {
    const workflow = findInvocable("agent-free");
    if (isRefusal(workflow)) throw new Error("agent-free is not in the test project");
    const runId = `${FAULT_PREFIX}${crypto.randomUUID()}`;
    const before = faultsInjected("mirror_fails_once_at_end");
    await runStub(env, runId).start(rootRun(workflow, runId, { script: script({ output: { done: true } }) }));

    const view = await settled(runId);
    expect(faultsInjected("mirror_fails_once_at_end")).toBe(before + 1);
    expect(view.run.status).toBe("complete");
    expect(step(view, "a").status).toBe("complete");
    const events = await eventTypes(runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe("run_completed");
  });
});

describe("the cron sweep", () => {
  it("re-mirrors a run that D1 shows as running while its Durable Object says it ended", async () => {
    const runId = await start("agent-free", { script: script({ output: { done: true } }) });
    expect((await settled(runId)).run.status).toBe("complete");
    const ended = await eventTypes(runId);
    // What a lost mirror batch leaves behind: the run row stale and `running`, its last events missing.
    await env.DB.prepare("UPDATE runs SET status = 'running', completed_at = NULL, updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(runId).run();
    await env.DB.prepare("DELETE FROM events WHERE run_id = ? AND type = 'run_completed'").bind(runId).run();

    const result = await sweepStaleRuns(env);
    expect(result.rearmed).toBeGreaterThanOrEqual(1);
    const { body } = await get<RunView>(`/runs/${runId}`);
    expect(body.run.status).toBe("complete");
    expect(body.run.completed_at).toBeDefined();
    expect(await eventTypes(runId)).toEqual(ended);
  });
});

describe("typed step facts in D1", () => {
  it("a reserved flag that fails a step is its signal; the sibling cancelled by fail-fast records the run status", async () => {
    const runId = await start("parallel", {
      script_a: script({ output: { ktsu_injection_attempt: true } }),
      script_b: script({ hang: true, heartbeat: false }),
    });
    const view = await settled(runId);
    expect(view.run.status).toBe("failed");
    const a = step(view, "a");
    expect(a.error).toBe("injection attempt detected");
    expect(a.signal).toBe("ktsu_injection_attempt");
    expect(a.cancelled).toBeUndefined();
    const b = step(view, "b");
    expect(b.error).toBe("cancelled: the run ended (failed)");
    expect(b.cancelled).toEqual({ run_status: "failed" });
  });

  it("a step sent to a human carries ktsu_needs_human as its signal", async () => {
    const runId = await start("agent-free", { script: script({ output: { ktsu_needs_human: true, draft: "d" } }) });
    const view = await eventually(async () => {
      const { body } = await get<RunView>(`/runs/${runId}`);
      return body.run.status === "needs_human" ? body : undefined;
    });
    expect(step(view, "a").signal).toBe("ktsu_needs_human");
  });
});
