// The step's host: the loop runs in a Durable Object per step attempt, never in the
// invocation's waitUntil; an evicted host continues from its own checkpoint; a superseded
// attempt stops; a repeated start runs nothing twice.
import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { InvokeRequest } from "../../../shared/contracts/runtime.ts";
import { stepHostName } from "../../../shared/contracts/step-host.ts";
import type { StepHost } from "../../../workers/runtime/src/host/step-host.ts";
import { stepKey, stepKeys } from "../../../workers/runtime/src/host/step-keys.ts";
import worker, { OrchestratorApi } from "../../../workers/runtime/src/index.ts";
import { waitFor } from "../../support/poll.ts";
import {
  callbackFor,
  heartbeats,
  holdReports,
  invoke,
  fanoutItemRequest,
  invokeRequest,
  kvServer,
  newRunId,
  providerCalls,
  records,
  resetProvider,
  runAgent,
  scriptHandoff,
  scriptProvider,
} from "./helpers.ts";

beforeEach(resetProvider);

/** What the platform does to `waitUntil` work: it is cancelled this long after the response. */
const WAIT_UNTIL_CUT_MS = 1000;

function hostOf(request: InvokeRequest) {
  return env.STEP_HOSTS.get(env.STEP_HOSTS.idFromName(stepHostName(request)));
}

/** Kills the host as an eviction does: the instance and everything in flight in it are gone; storage and alarm stay. */
async function killHost(request: InvokeRequest): Promise<void> {
  await runInDurableObject(hostOf(request), (_instance, state) => state.abort("killed by the test")).catch(() => {});
}

async function hostKeys(request: InvokeRequest): Promise<string[]> {
  return runInDurableObject(hostOf(request), async (_instance, state) => [...(await state.storage.list()).keys()]);
}

/** The storage keys under which a host keeps the step of this request. */
function keysOf(request: InvokeRequest) {
  const key = stepKey({ request, received: request });
  return { stored: stepKeys.step(key), finished: stepKeys.finished(key) };
}

describe("where the loop runs", () => {
  it("completes a turn that outlives the invocation's waitUntil cut: nothing of the loop is handed to waitUntil", async () => {
    const runId = newRunId("cut");
    const PROVIDER_TURN_MS = 5000;
    await scriptProvider({ text: '{"answer": "long turn"}', delay_ms: PROVIDER_TURN_MS });
    // An execution context that behaves like the platform's: whatever is passed to waitUntil
    // counts only if it settles within the cut after the response.
    const handed: Array<{ settledAt?: number }> = [];
    const ctx: ExecutionContext = {
      waitUntil(promise) {
        const entry: { settledAt?: number } = {};
        handed.push(entry);
        void Promise.resolve(promise).finally(() => {
          entry.settledAt = Date.now();
        });
      },
      passThroughOnException() {},
      props: {},
    } as ExecutionContext;
    const request = invokeRequest(runId);
    const res = await worker.fetch(
      new Request("https://runtime/invoke", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) }),
      env,
      ctx,
    );
    const answeredAt = Date.now();
    expect(res.status).toBe(202);

    const callback = await callbackFor(runId);
    expect(callback).toMatchObject({ status: "ok", output: { answer: "long turn" }, metrics: { llm_calls: 1 } });
    // The result came after the cut would have ended any waitUntil work…
    expect(callback.at - answeredAt).toBeGreaterThan(WAIT_UNTIL_CUT_MS);
    // …and whatever was handed to waitUntil (nothing, today) had settled before the cut.
    for (const entry of handed) expect(entry.settledAt !== undefined && entry.settledAt - answeredAt <= WAIT_UNTIL_CUT_MS).toBe(true);
  });
});

describe("a host evicted mid-loop", () => {
  it("continues from its checkpoint: the recorded tool call does not run again, the interrupted turn is asked again", async () => {
    const runId = newRunId("evict-mid");
    await scriptProvider(
      { tool_calls: [{ id: "call_inc", name: "increment", arguments: { key: "k" } }] },
      { text: '{"answer": "never delivered"}', delay_ms: 4000 },
      { text: '{"answer": "after the eviction"}' },
    );
    const request = invokeRequest(runId, { tool_servers: [kvServer({ persistent_id: `ns-${runId}` })] });
    expect((await invoke(request)).status).toBe(202);
    // The second LLM call is in flight: the tool's result was recorded before it.
    await waitFor(async () => (await providerCalls()).length >= 2, "the second LLM call", 60_000, 20);
    await killHost(request);

    const callback = await callbackFor(runId);
    expect(callback).toMatchObject({ status: "ok", output: { answer: "after the eviction" }, metrics: { tool_calls: 1 } });
    const results = callback.messages!.filter((m) => m.role === "tool");
    expect(results).toEqual([{ role: "tool", tool_call_id: "call_inc", content: '{"value":1}' }]);
    const calls = await providerCalls();
    expect(calls).toHaveLength(3);
    // The interrupted turn was asked again with the same conversation.
    expect(calls[2]!.body.messages).toEqual(calls[1]!.body.messages);
  });

  it("lost in its first turn, starts over from the request it stored before the first LLM call", async () => {
    const runId = newRunId("evict-first");
    await scriptProvider(
      { text: '{"answer": "never delivered"}', delay_ms: 4000 },
      { tool_calls: [{ id: "call_inc", name: "increment", arguments: { key: "k" } }] },
      { text: '{"answer": "first turn recovered"}' },
    );
    const request = invokeRequest(runId, { tool_servers: [kvServer({ persistent_id: `ns-${runId}` })] });
    expect((await invoke(request)).status).toBe(202);
    await waitFor(async () => (await providerCalls()).length >= 1, "the first LLM call", 60_000, 20);
    // A step still running after a moment is made durable (request and alarm); only then can its host resume it.
    await waitFor(async () => (await hostKeys(request)).includes(keysOf(request).stored), "the step to be made durable", 60_000, 20);
    await killHost(request);

    const callback = await callbackFor(runId);
    expect(callback).toMatchObject({ status: "ok", output: { answer: "first turn recovered" }, metrics: { tool_calls: 1, llm_calls: 2 } });
    expect(callback.messages!.filter((m) => m.role === "tool")).toEqual([{ role: "tool", tool_call_id: "call_inc", content: '{"value":1}' }]);
    const calls = await providerCalls();
    expect(calls).toHaveLength(3);
    expect(calls[1]!.body.messages).toEqual(calls[0]!.body.messages);
    // The orchestrator is sent checkpoints only after a turn.
    expect((await records(runId)).filter((r) => r.kind === "checkpoint").map((r) => (r.body as { turn: number }).turn)).not.toContain(0);
  });
});

describe("the host's lifecycle", () => {
  it("stops a superseded attempt at its next checkpoint, before the tool call, and sends no callback", async () => {
    const runId = newRunId("superseded");
    const ns = `ns-${runId}`;
    await env.ORCHESTRATOR.fetch(`https://orchestrator/__superseded?run_id=${encodeURIComponent(runId)}`, { method: "PUT" });
    await scriptProvider({ tool_calls: [{ id: "call_inc", name: "increment", arguments: { key: "k" } }] });
    const request = invokeRequest(runId, { tool_servers: [kvServer({ persistent_id: ns })] });
    expect((await invoke(request)).status).toBe(202);
    await waitFor(async () => (await hostKeys(request)).includes(keysOf(request).finished), "the host to stop", 60_000, 20);
    expect(await hostKeys(request)).toEqual([keysOf(request).finished]);
    expect((await records(runId)).filter((r) => r.kind === "callback")).toEqual([]);

    // The tool never ran: a later step on the same namespace counts from zero.
    await resetProvider();
    await scriptProvider({ tool_calls: [{ id: "call_inc2", name: "increment", arguments: { key: "k" } }] }, { text: '{"answer": "checked"}' });
    const check = await runAgent(invokeRequest(newRunId("superseded-check"), { tool_servers: [kvServer({ persistent_id: ns })] }));
    expect(check.messages!.filter((m) => m.role === "tool")).toEqual([{ role: "tool", tool_call_id: "call_inc2", content: '{"value":1}' }]);
  });

  it("writes nothing for a step that ends before it needs to be durable", async () => {
    const runId = newRunId("quick");
    await scriptProvider({ text: '{"answer": "quick"}' });
    const request = invokeRequest(runId);
    await runAgent(request);
    // The callback is sent after the loop ended; by then a write would have shown.
    expect(await hostKeys(request)).toEqual([]);
  });

  it("runs a repeated start of the same attempt only once, and keeps nothing of a finished step but that mark", async () => {
    const runId = newRunId("repeat");
    // Slow enough to be made durable, so the host keeps its finished mark.
    await scriptProvider({ text: '{"answer": "once"}', delay_ms: 1000 });
    const request = invokeRequest(runId);
    await runAgent(request);
    await waitFor(async () => (await hostKeys(request)).includes(keysOf(request).finished), "the host to finish", 60_000, 20);
    expect(await hostKeys(request)).toEqual([keysOf(request).finished]);
    // start() stores the step before it answers, so a start that ran the step again would show it here.
    expect((await invoke(request)).status).toBe(202);
    expect(await hostKeys(request)).toEqual([keysOf(request).finished]);
    expect(await providerCalls()).toHaveLength(1);
    expect((await records(runId)).filter((r) => r.kind === "callback")).toHaveLength(1);
  });
});

describe("steps sharing a host", () => {
  /** Two items of one fanout step sent to the same host, as the orchestrator does for a wide fanout. */
  function sharedHostRequests(runId: string): [InvokeRequest, InvokeRequest] {
    return [fanoutItemRequest(runId, 0), fanoutItemRequest(runId, 1)];
  }

  async function callbacksOf(runId: string) {
    return (await records(runId)).filter((r) => r.kind === "callback").map((r) => r.body as { step_id: string; output: unknown });
  }

  it("runs each step to its own callback, beats for both in one heartbeat, resumes both after an eviction and then stops its alarm", async () => {
    const runId = newRunId("shared");
    const [first, second] = sharedHostRequests(runId);
    expect(stepHostName(first)).toBe(stepHostName(second));
    // Both first turns are slow enough to make both steps durable; both are asked again after the eviction.
    const slow = { text: '{"answer": "never delivered"}', delay_ms: 4000 };
    const resumed = { text: '{"answer": "resumed"}' };
    await scriptProvider(slow, slow, resumed, resumed);
    expect((await invoke(first)).status).toBe(202);
    expect((await invoke(second)).status).toBe(202);
    await waitFor(
      async () => {
        const keys = await hostKeys(first);
        return keys.includes(keysOf(first).stored) && keys.includes(keysOf(second).stored);
      },
      "both steps to be made durable",
      60_000,
      20,
    );
    await killHost(first);

    await waitFor(async () => (await callbacksOf(runId)).length === 2, "both callbacks", 60_000, 50);
    const callbacks = await callbacksOf(runId);
    expect(callbacks.map((c) => c.step_id).sort()).toEqual(["fan.0", "fan.1"]);
    expect(callbacks.map((c) => c.output)).toEqual([{ answer: "resumed" }, { answer: "resumed" }]);
    expect(await providerCalls()).toHaveLength(4);
    // One host, one alarm: a beat names every step it runs.
    const beats = await heartbeats(runId);
    expect(
      beats.some(
        (beat) =>
          beat.active
            .map((a) => a.step_id)
            .sort()
            .join() === "fan.0,fan.1",
      ),
    ).toBe(true);

    // The last step to finish erases the whole storage (no request's bytes stay behind) and keeps its own mark.
    const finishedMarks = [keysOf(first).finished, keysOf(second).finished];
    await waitFor(
      async () => {
        const keys = await hostKeys(first);
        return keys.length === 1 && finishedMarks.includes(keys[0]!);
      },
      "both steps to be erased",
      60_000,
      20,
    );
    expect(await runInDurableObject(hostOf(first), (_instance, state) => state.storage.getAlarm())).toBeNull();
  });
  it("reports the results that are ready together in one call to the orchestrator", async () => {
    const runId = newRunId("grouped");
    const item = (index: number) => fanoutItemRequest(runId, index);
    const answer = { text: '{"answer": "done"}' };
    await scriptProvider(answer, answer, answer);
    // Item 0's report is held unanswered; items 1 and 2 finish meanwhile and wait for it.
    await holdReports(runId, true);
    expect((await invoke(item(0))).status).toBe(202);
    await waitFor(async () => (await callbacksOf(runId)).length === 1, "item 0's report", 60_000, 20);
    expect((await invoke(item(1))).status).toBe(202);
    expect((await invoke(item(2))).status).toBe(202);
    await waitFor(
      () => runInDurableObject(hostOf(item(0)), async (instance: StepHost) => instance.running() === 3 && instance.awaitingResults() === 0),
      "items 1 and 2 to have their results",
      60_000,
      20,
    );
    await holdReports(runId, false);

    await waitFor(async () => (await callbacksOf(runId)).length === 3, "all three results", 60_000, 20);
    const reports = (await records(runId)).filter((r) => r.kind === "callback").map((r) => [r.step_id, r.reported_with]);
    expect(reports).toEqual([
      ["fan.0", ["fan.0"]],
      ["fan.1", ["fan.1", "fan.2"]],
      ["fan.2", ["fan.1", "fan.2"]],
    ]);
    expect((await callbacksOf(runId)).map((c) => c.output)).toEqual([0, 1, 2].map(() => ({ answer: "done" })));
  });

  it("starts a handed item that waits behind a running one as soon as that one's result is ready, before its report is answered", async () => {
    const runId = newRunId("queued");
    const item = (index: number) => fanoutItemRequest(runId, index);
    const answer = { text: '{"answer": "done"}' };
    await scriptProvider(answer, answer, answer);
    // Item 0's report is answered at once with item 1 to run in its slot and item 2 to wait behind
    // item 1; every later report is held, so item 2 can only start from the host's queue.
    await scriptHandoff(runId, { next: [item(1), item(2)], placements: [{ for_step: "fan.0" }, { for_step: "fan.0", after_step: "fan.1" }] });
    await holdReports(runId, true);
    expect((await invoke(item(0))).status).toBe(202);

    await waitFor(async () => (await providerCalls()).length === 3, "item 2's LLM call while item 1's report is held", 60_000, 20);
    const heldReports = (await records(runId)).filter((r) => r.kind === "callback");
    expect(heldReports.map((r) => r.step_id)).toEqual(["fan.0", "fan.1"]);
    // Each report asked for two items per result (one to run, one to wait) and said the host can queue.
    expect(heldReports.map((r) => r.report_options)).toEqual([
      { take_next: 2, queue: true },
      { take_next: 2, queue: true },
    ]);
    // Item 1's result says the host started the item that waited behind it (else it would be dispatched again).
    expect(heldReports.map((r) => (r.body as { started_next?: string }).started_next)).toEqual([undefined, "fan.2"]);
    await holdReports(runId, false);

    await waitFor(async () => (await callbacksOf(runId)).length === 3, "all three results", 60_000, 20);
    expect((await callbacksOf(runId)).map((c) => [c.step_id, c.output])).toEqual([0, 1, 2].map((i) => [`fan.${i}`, { answer: "done" }]));
  });

  it("runs handed items at once, one per result, when the answer names no placements (an orchestrator without the queue)", async () => {
    const runId = newRunId("unplaced");
    const item = (index: number) => fanoutItemRequest(runId, index);
    const answer = { text: '{"answer": "done"}' };
    await scriptProvider(answer, answer);
    await scriptHandoff(runId, { next: [item(1)] });
    expect((await invoke(item(0))).status).toBe(202);
    await waitFor(async () => (await callbacksOf(runId)).length === 2, "both results", 60_000, 20);
    expect((await callbacksOf(runId)).map((c) => c.step_id)).toEqual(["fan.0", "fan.1"]);
  });

  it("takes several dispatched steps in one call, one call per host, answering each (a refused one with 400)", async () => {
    const runId = newRunId("many");
    const answer = { text: '{"answer": "done"}' };
    await scriptProvider(answer, answer, answer);
    const onOtherHost = { ...fanoutItemRequest(runId, 2), host_key: "fan#1" };
    const refused = { ...fanoutItemRequest(runId, 3), callback_url: "" };
    const api = new OrchestratorApi(createExecutionContext(), env);

    const answers = await api.invokeMany([fanoutItemRequest(runId, 0), fanoutItemRequest(runId, 1), refused, onOtherHost]);

    expect(answers.map((a) => a.status)).toEqual([202, 202, 400, 202]);
    await waitFor(async () => (await callbacksOf(runId)).length === 3, "the three accepted steps' results", 60_000, 20);
    expect((await callbacksOf(runId)).map((c) => c.step_id).sort()).toEqual(["fan.0", "fan.1", "fan.2"]);
  });
});
