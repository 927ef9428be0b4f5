// The viewer's live run events (ui/src/events.ts) over the shared reconnecting
// reader: a retry-only message is no event, a drop resumes with Last-Event-ID,
// and the stream ends after the run's final event.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunEvent } from "../../../shared/contracts/records.ts";
import { followRunEvents } from "../../../ui/src/events.ts";
import { openSse, type SseServer, sseEvent, sseServer } from "../../support/sse-server.ts";

let server: SseServer | undefined;

beforeEach(() => {
  // The page's origin is the orchestrator: relative URLs go to the test's server.
  const realFetch = globalThis.fetch;
  vi.stubGlobal("fetch", (url: string | URL, init?: RequestInit) => realFetch(new URL(url, server?.url), init));
  const stored = new Map<string, string>();
  vi.stubGlobal("sessionStorage", { getItem: (key: string) => stored.get(key) ?? null });
});

afterEach(async () => {
  vi.unstubAllGlobals();
  await server?.close();
  server = undefined;
});

function follow(runId: string): Promise<{ events: RunEvent[]; error: Error | undefined }> {
  return new Promise((resolve) => {
    const events: RunEvent[] = [];
    followRunEvents(runId, { onEvent: (event) => events.push(event), onEnd: (error) => resolve({ events, error }) });
  });
}

describe("the viewer following a run's events", () => {
  it("skips retry-only messages and resumes after a drop until the final event", async () => {
    server = await sseServer((c, index) => {
      openSse(c.res, 5);
      if (index === 0) c.res.end(sseEvent(1, "run_started"));
      else c.res.write(`retry: 5\n\n${sseEvent(2, "run_completed")}`); // left open: the viewer stops by itself
    });
    const { events, error } = await follow("run_1");
    expect(error).toBeUndefined();
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, "run_started"],
      [2, "run_completed"],
    ]);
    expect(server.connections.map((c) => [c.req.url, c.lastEventId])).toEqual([
      ["/runs/run_1/events", undefined],
      ["/runs/run_1/events", "1"],
    ]);
  });

  it("ends with the API's message on a 404", async () => {
    server = await sseServer((c) => {
      c.res.writeHead(404, { "content-type": "application/json" });
      c.res.end(JSON.stringify({ error: "not_found", message: "run not found" }));
    });
    const { events, error } = await follow("run_missing");
    expect(events).toEqual([]);
    expect(error?.message).toBe("run not found");
  });
});
