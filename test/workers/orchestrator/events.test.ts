import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { script, settled, start } from "./helpers.ts";

interface SseEvent {
  id: number;
  event: string;
  data: { seq: number; type: string; step_id?: string; data?: Record<string, unknown> };
}

/** Reads a finite SSE stream to its end. */
async function readAll(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("id:"))
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name}: `))!
          .slice(name.length + 2);
      return { id: Number(field("id")), event: field("event"), data: JSON.parse(field("data")) };
    });
}

describe("GET /runs/{id}/events (Server-Sent Events)", () => {
  it("streams a finished run's events in order and closes", async () => {
    const runId = await start("agent-free", { script: script({ output: { x: 1 } }) });
    await settled(runId);
    const res = await SELF.fetch(`https://ktsu.test/runs/${runId}/events`);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readAll(res);
    expect(events.map((e) => e.event)).toEqual(["run_started", "step_started", "step_completed", "step_started", "step_completed", "run_completed"]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events[2]!.data).toMatchObject({ step_id: "a", data: { status: "complete", cost_usd: 0.001 } });
  });

  it("resumes after Last-Event-ID with no duplicate and no gap", async () => {
    const runId = await start("agent-free", { script: script({ output: { x: 1 } }) });
    await settled(runId);
    const all = await readAll(await SELF.fetch(`https://ktsu.test/runs/${runId}/events`));
    const rest = await readAll(await SELF.fetch(`https://ktsu.test/runs/${runId}/events`, { headers: { "last-event-id": "3" } }));
    expect(rest.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
  });

  it("delivers events live while the run is going, then closes at its end", async () => {
    const runId = await start("agent-free", { script: script({ output: { x: 1 }, delay_ms: 700 }) });
    const res = await SELF.fetch(`https://ktsu.test/runs/${runId}/events`);
    const events = await readAll(res); // resolves only when the stream closes at the run's end
    expect(events.at(-1)!.event).toBe("run_completed");
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  });

  it("answers 404 for an unknown run", async () => {
    expect((await SELF.fetch("https://ktsu.test/runs/run_ffffffffffffffff/events")).status).toBe(404);
  });
});
