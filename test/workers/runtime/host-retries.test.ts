// The runtime's calls to a step's host retry a transient Durable Object error (the platform's
// `retryable: true`, e.g. an object reset by a deploy): a dispatch does not fail on one. A host
// that stays unreachable answers 503 for its own steps only; the other hosts' steps run.
// KTSU_TEST_FAULTS in vitest.config.ts makes the first call of each method on a host's stub fail
// for run ids starting `fault-host-once-`, and every call for `fault-host-down-`.
import { createExecutionContext, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { faultsInjected } from "../../../shared/util/test-faults.ts";
import { OrchestratorApi } from "../../../workers/runtime/src/index.ts";
import { waitFor } from "../../support/poll.ts";
import { fanoutItemRequest, invoke, invokeRequest, providerCalls, records, resetProvider, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

async function callbacksOf(runId: string): Promise<Array<{ step_id: string; output: unknown }>> {
  return (await records(runId)).filter((r) => r.kind === "callback").map((r) => r.body as { step_id: string; output: unknown });
}

describe("calls to a step's host", () => {
  it("retry a transient error: the dispatch is accepted and the step runs", async () => {
    const runId = `fault-host-once-${crypto.randomUUID()}`;
    await scriptProvider({ text: '{"answer": "after a retry"}' });
    const before = faultsInjected("do_call_fails_once");

    const res = await invoke(invokeRequest(runId));

    expect(res.status).toBe(202);
    expect(faultsInjected("do_call_fails_once")).toBe(before + 1);
    await waitFor(async () => (await callbacksOf(runId)).length === 1, "the step's result", 60_000, 20);
    expect((await callbacksOf(runId))[0]!.output).toEqual({ answer: "after a retry" });
  });

  it("answer 503 for the steps of a host that stays unreachable, and start the others", async () => {
    const down = `fault-host-down-${crypto.randomUUID()}`;
    const up = `fault-host-once-${crypto.randomUUID()}`;
    const answer = { text: '{"answer": "done"}' };
    await scriptProvider(answer, answer);
    const before = { down: faultsInjected("do_call_fails"), once: faultsInjected("do_call_fails_once") };
    const api = new OrchestratorApi(createExecutionContext(), env);

    const answers = await api.invokeMany([fanoutItemRequest(down, 0), fanoutItemRequest(up, 0), { ...fanoutItemRequest(up, 1), host_key: "fan#1" }]);

    expect(answers.map((a) => a.status)).toEqual([503, 202, 202]);
    // The unreachable host was tried three times (retryDurableObjectCall's default); each other host failed once and was retried.
    expect(faultsInjected("do_call_fails") - before.down).toBe(3);
    expect(faultsInjected("do_call_fails_once") - before.once).toBe(2);
    await waitFor(async () => (await callbacksOf(up)).length === 2, "the reachable hosts' results", 60_000, 20);
    expect((await callbacksOf(up)).map((c) => c.step_id).sort()).toEqual(["fan.0", "fan.1"]);
    expect(await callbacksOf(down)).toEqual([]);
    expect((await providerCalls()).length).toBe(2);
  });
});
