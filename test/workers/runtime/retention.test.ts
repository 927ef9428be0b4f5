// Retention on the runtime's side: `POST /hosts/purge` erases the named step hosts, whatever
// they hold (a finished mark, a stored step with an undelivered result and an armed alarm).
// The orchestrator's side (which hosts it names, when) is test/workers/orchestrator/retention.test.ts.
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_HOSTS_PER_PURGE, PURGE_HOSTS_PATH } from "../../../shared/contracts/retention.ts";
import { stepHostName } from "../../../shared/contracts/step-host.ts";
import { waitFor } from "../../support/poll.ts";
import { invokeRequest, newRunId, resetProvider, runAgent, scriptProvider } from "./helpers.ts";

beforeEach(resetProvider);

function host(name: string) {
  return env.STEP_HOSTS.get(env.STEP_HOSTS.idFromName(name));
}

async function stored(name: string): Promise<{ keys: string[]; alarm: number | null }> {
  return runInDurableObject(host(name), async (_instance, state) => ({
    keys: [...(await state.storage.list()).keys()],
    alarm: await state.storage.getAlarm(),
  }));
}

async function purge(body: unknown): Promise<Response> {
  return SELF.fetch(`https://runtime${PURGE_HOSTS_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("POST /hosts/purge", () => {
  it("erases a host's finished mark and a host's stored step, undelivered result and alarm", async () => {
    // A step slow enough to be made durable leaves its finished mark behind.
    await scriptProvider({ text: '{"answer": "done"}', delay_ms: 1000 });
    const finished = invokeRequest(newRunId("purge-finished"));
    await runAgent(finished);
    const finishedHost = stepHostName(finished);
    await waitFor(async () => (await stored(finishedHost)).keys.length > 0, "the finished mark", 60_000, 20);

    // A host left holding a step whose result it could not deliver, its alarm still armed.
    const holding = invokeRequest(newRunId("purge-holding"), { step_id: "each.0", attempt: 2 });
    const holdingHost = stepHostName(holding);
    await runInDurableObject(host(holdingHost), async (_instance, state) => {
      await state.storage.put({ step: { request: holding, received: Date.now() }, result: { run_id: holding.run_id, step_id: holding.step_id, status: "ok" } });
      await state.storage.setAlarm(Date.now() + 60 * 60_000);
    });
    expect((await stored(holdingHost)).alarm).not.toBeNull();

    const never = stepHostName({ run_id: newRunId("purge-never"), step_id: "a", attempt: 1 });
    const res = await purge({ hosts: [finishedHost, holdingHost, never] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ purged: 3 });
    for (const name of [finishedHost, holdingHost, never]) expect(await stored(name)).toEqual({ keys: [], alarm: null });
  });

  it("refuses a body that is not a list of at most the documented number of names", async () => {
    for (const body of [{}, { hosts: "x" }, { hosts: [1] }, { hosts: [""] }, { hosts: Array.from({ length: MAX_HOSTS_PER_PURGE + 1 }, (_, i) => `h${i}`) }]) {
      expect((await purge(body)).status).toBe(400);
    }
  });
});
