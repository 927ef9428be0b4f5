// Subrequests per invocation of the run object: each call is attributed to the invocation
// whose work made it, also while invocations overlap, and a run logs its counts once it ends.
import { afterEach, describe, expect, it, vi } from "vitest";
import { countedBinding } from "../../../shared/util/subrequests.ts";
import { countInvocations, InvocationCounter } from "../../../workers/orchestrator/src/run/invocations.ts";
import { eventually, script, settled, start } from "./helpers.ts";

interface RunInvocationsLine {
  message: string;
  run_id: string;
  invocations: number;
  by_kind: Record<string, number>;
  largest: { kind: string; subrequests: number };
  subrequests: Record<string, number>;
}

function runLines(log: { mock: { calls: unknown[][] } }): RunInvocationsLine[] {
  return log.mock.calls
    .map(([line]) => String(line))
    .filter((line) => line.startsWith('{"message":"orchestrator: run invocations"'))
    .map((line) => JSON.parse(line) as RunInvocationsLine);
}

afterEach(() => vi.restoreAllMocks());

describe("InvocationCounter", () => {
  it("attributes each subrequest to its own invocation while two invocations overlap", async () => {
    const log = vi.spyOn(console, "log");
    const counter = new InvocationCounter();
    // An RPC method call through the binding is a subrequest like its fetch.
    const binding = countedBinding({ fetch: async () => new Response("ok"), invoke: async () => ({ status: 202 }) }, "svc", counter);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = counter.run("first", async () => {
      await binding.fetch();
      await gate; // the second invocation runs meanwhile
      await binding.fetch();
      await binding.fetch();
    });
    const second = counter.run("second", async () => {
      await binding.fetch();
      await binding.invoke();
      release();
    });
    await Promise.all([first, second]);
    counter.reportOnce("run_x");
    counter.reportOnce("run_x");
    const lines = runLines(log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ run_id: "run_x", invocations: 2, largest: { kind: "first", subrequests: 3 }, subrequests: { total: 5, svc: 5 } });
  });

  it("counts a method called by another method of the object as part of the caller's invocation", async () => {
    const log = vi.spyOn(console, "log");
    class Thing {
      readonly invocations = new InvocationCounter();
      async outer(): Promise<void> {
        await this.inner();
      }
      async inner(): Promise<void> {}
    }
    countInvocations(Thing.prototype, (thing) => thing.invocations);
    const thing = new Thing();
    await thing.outer();
    await thing.inner();
    thing.invocations.reportOnce("run_y");
    expect(runLines(log)[0]).toMatchObject({ invocations: 2, by_kind: { outer: 1, inner: 1 } });
  });
});

describe("the run object's log line", () => {
  it("names the run's invocations, its largest invocation and its subrequests by kind once the run ends", async () => {
    const log = vi.spyOn(console, "log");
    const runId = await start("parent-agent", { script: script({ echo: true }) });
    expect((await settled(runId)).run.status).toBe("complete");
    const parent = await eventually(async () => runLines(log).find((l) => l.run_id === runId));
    const child = await eventually(async () => runLines(log).find((l) => l.run_id === `${runId}/call`));
    // The parent starts its sub-run (a call to another run's object) and mirrors to D1.
    expect(parent.by_kind.start).toBe(1);
    expect(parent.subrequests.runs).toBeGreaterThanOrEqual(1);
    expect(parent.subrequests.store).toBeGreaterThanOrEqual(2);
    // The sub-run dispatches its agent step to the runtime and is told of the result by a callback.
    expect(child.by_kind.callbacks).toBe(1);
    expect(child.subrequests.runtime).toBe(1);
    for (const line of [parent, child]) {
      expect(line.largest.subrequests).toBeGreaterThan(0);
      expect(line.largest.subrequests).toBeLessThanOrEqual(line.subrequests.total!);
    }
  });
});
