// Cancelling a step on its host (`POST /cancel`, the orchestrator's call when a run is
// cancelled): the LLM call in flight is aborted as far as the provider, no other call starts,
// nothing is posted back, and a start that comes after the cancel runs nothing.
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { InvokeRequest } from "../../../shared/contracts/runtime.ts";
import { stepHostName } from "../../../shared/contracts/step-host.ts";
import type { StepHost } from "../../../workers/runtime/src/host/step-host.ts";
import { waitFor } from "../../support/poll.ts";
import { fanoutItemRequest, invoke, invokeRequest, kvServer, newRunId, providerCalls, records, resetProvider, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

function hostOf(request: InvokeRequest) {
  return env.STEP_HOSTS.get(env.STEP_HOSTS.idFromName(stepHostName(request)));
}

/** Whether no loop runs in the host's instance any more (a cancel answers only once its loops ended). */
async function loopEnded(request: InvokeRequest): Promise<boolean> {
  return runInDurableObject(hostOf(request), async (instance: StepHost) => instance.running() === 0);
}

async function hostKeys(request: InvokeRequest): Promise<string[]> {
  return runInDurableObject(hostOf(request), async (_instance, state) => [...(await state.storage.list()).keys()]);
}

async function cancel(...requests: InvokeRequest[]): Promise<Response> {
  return SELF.fetch("https://runtime/cancel", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ hosts: requests.map((r) => ({ run_id: r.run_id, step_id: r.step_id, attempt: r.attempt })) }),
  });
}

describe("cancelling a running step", () => {
  it("aborts the LLM call in flight: the provider sees the request closed, no other call starts, no callback is sent", async () => {
    const runId = newRunId("cancel-llm");
    // A hung call, then what a retry or a next turn would get: neither may be asked.
    await scriptProvider({ hang: true }, { text: '{"answer": "never"}' });
    const request = invokeRequest(runId);
    expect((await invoke(request)).status).toBe(202);
    await waitFor(async () => (await providerCalls()).length === 1, "the LLM call to reach the provider", 60_000, 20);

    const res = await cancel(request);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cancelled: 1 });

    await waitFor(async () => (await providerCalls())[0]?.aborted === true, "the provider to see the call aborted", 60_000, 20);
    await waitFor(() => loopEnded(request), "the host's loop to end", 60_000, 20);
    expect(await providerCalls()).toHaveLength(1);
    expect((await records(runId)).filter((r) => r.kind === "callback")).toEqual([]);
    // Only the mark that the host was cancelled stays, so no alarm resumes anything.
    expect(await hostKeys(request)).toEqual(["cancelled"]);
  });

  it("reaches every item on a shared host: a cancel naming one aborts all of them, and none reports", async () => {
    const runId = newRunId("cancel-shared");
    await scriptProvider({ hang: true }, { hang: true }, { text: '{"answer": "never"}' });
    const item = (index: number) => fanoutItemRequest(runId, index);
    expect((await invoke(item(0))).status).toBe(202);
    expect((await invoke(item(1))).status).toBe(202);
    await waitFor(async () => (await providerCalls()).length === 2, "both LLM calls to reach the provider", 60_000, 20);

    const res = await SELF.fetch("https://runtime/cancel", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hosts: [{ run_id: runId, step_id: "fan.0", attempt: 1, host_key: "fan#0" }] }),
    });
    expect(res.status).toBe(200);

    await waitFor(async () => (await providerCalls()).every((call) => call.aborted === true), "the provider to see both calls aborted", 60_000, 20);
    await waitFor(() => loopEnded(item(0)), "the host's loops to end", 60_000, 20);
    expect(await providerCalls()).toHaveLength(2);
    expect((await records(runId)).filter((r) => r.kind === "callback")).toEqual([]);
  });

  it("runs none of the tool calls the aborted turn would have asked for", async () => {
    const runId = newRunId("cancel-tool");
    const ns = `ns-${runId}`;
    // The model would ask for a tool after a delay; the cancel comes while that reply is on its way.
    await scriptProvider({ tool_calls: [{ id: "call_inc", name: "increment", arguments: { key: "k" } }], delay_ms: 2000 }, { text: '{"answer": "never"}' });
    const request = invokeRequest(runId, { tool_servers: [kvServer({ persistent_id: ns })] });
    expect((await invoke(request)).status).toBe(202);
    await waitFor(async () => (await providerCalls()).length === 1, "the LLM call to reach the provider", 60_000, 20);
    expect((await cancel(request)).status).toBe(200);
    await waitFor(() => loopEnded(request), "the host's loop to end", 60_000, 20);
    expect(await providerCalls()).toHaveLength(1);
    expect((await records(runId)).filter((r) => r.kind === "callback" || r.kind === "checkpoint")).toEqual([]);

    // The tool never ran: a later step on the same namespace counts from zero.
    await resetProvider();
    await scriptProvider({ tool_calls: [{ id: "call_inc2", name: "increment", arguments: { key: "k" } }] }, { text: '{"answer": "checked"}' });
    const check = invokeRequest(newRunId("cancel-tool-check"), { tool_servers: [kvServer({ persistent_id: ns })] });
    expect((await invoke(check)).status).toBe(202);
    await waitFor(async () => (await records(check.run_id)).some((r) => r.kind === "callback"), "the check's callback", 60_000, 50);
    const callback = (await records(check.run_id)).find((r) => r.kind === "callback")!.body as { messages: Array<{ role: string; content: string }> };
    expect(callback.messages.filter((m) => m.role === "tool").map((m) => m.content)).toEqual(['{"value":1}']);
  });

  it("runs nothing for a start that arrives after the cancel", async () => {
    const runId = newRunId("cancel-first");
    const request = invokeRequest(runId);
    expect((await cancel(request)).status).toBe(200);
    await scriptProvider({ text: '{"answer": "never"}' });
    expect((await invoke(request)).status).toBe(202);
    // The start returned without driving a loop: nothing can reach the provider later.
    expect(await loopEnded(request)).toBe(true);
    expect(await providerCalls()).toEqual([]);
    expect(await hostKeys(request)).toEqual(["cancelled"]);
  });

  it("refuses a malformed cancel", async () => {
    const res = await SELF.fetch("https://runtime/cancel", { method: "POST", body: '{"hosts": [{"run_id": 1}]}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });
});
