// The CLI's reading of a run's event stream (`ktsu invoke --wait`): following it
// across dropped connections with Last-Event-ID (no duplicate, no gap), the
// server's retry delay, and the orchestrator's error message on a 4xx.
import { afterEach, describe, expect, it } from "vitest";
import { errorLine, OrchestratorClient } from "../../cli/src/client/orchestrator.ts";
import { SseHttpError } from "../../shared/sse/follow.ts";
import { openSse, type SseServer, sseEvent, sseServer } from "../support/sse-server.ts";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("following a run's events across dropped connections", () => {
  it("resumes with Last-Event-ID after the connection drops mid-event, skipping replays: every event exactly once, in order", async () => {
    server = await sseServer((c, index) => {
      openSse(c.res);
      if (index === 0) {
        // Three events, then half of the fourth, then the socket dies.
        c.res.write(sseEvent(1, "run_started") + sseEvent(2, "step_started", { step_id: "a" }) + sseEvent(3, "step_completed", { step_id: "a" }));
        c.res.write(sseEvent(4, "step_started", { step_id: "b" }).slice(0, 25), () => setTimeout(() => c.req.socket.destroy(), 20));
      } else if (index === 1) {
        // A server that replays from an older point: 2 and 3 were already delivered.
        c.res.write(sseEvent(2, "step_started", { step_id: "a" }) + sseEvent(3, "step_completed", { step_id: "a" }));
        c.res.write(
          sseEvent(4, "step_started", { step_id: "b" }) + sseEvent(5, "step_completed", { step_id: "b" }) + sseEvent(6, "step_started", { step_id: "c" }),
        );
        c.res.end(); // a clean close before the run ended: still a drop
      } else {
        c.res.write(`${sseEvent(7, "step_completed", { step_id: "c" })}: keepalive\n\n${sseEvent(8, "run_completed")}`);
        // Left open: the client must stop by itself after run_completed.
      }
    });
    const { url, connections } = server;
    const reconnects: { attempt: number; lastEventId: string | undefined; delayMs: number }[] = [];
    const client = new OrchestratorClient(url);
    const seen: [number, string][] = [];
    for await (const e of client.events("run_1", {
      onReconnect: (info) => reconnects.push({ attempt: info.attempt, lastEventId: info.lastEventId, delayMs: info.delayMs }),
    })) {
      seen.push([e.seq, e.type]);
    }
    expect(seen).toEqual([
      [1, "run_started"],
      [2, "step_started"],
      [3, "step_completed"],
      [4, "step_started"],
      [5, "step_completed"],
      [6, "step_started"],
      [7, "step_completed"],
      [8, "run_completed"],
    ]);
    expect(connections.map((c) => c.lastEventId)).toEqual([undefined, "3", "6"]);
    expect(connections.map((c) => c.req.url)).toEqual(["/runs/run_1/events", "/runs/run_1/events", "/runs/run_1/events"]);
    // Each connection opened with a retry-only message (retry: 20): it sets the delay and is not an event.
    expect(reconnects).toEqual([
      { attempt: 1, lastEventId: "3", delayMs: 20 },
      { attempt: 1, lastEventId: "6", delayMs: 20 },
    ]);
  });

  it("stops on a 404 without retrying, with the orchestrator's message", async () => {
    server = await sseServer((c) => {
      c.res.writeHead(404, { "content-type": "application/json" });
      c.res.end(JSON.stringify({ error: "not_found", message: "run not found" }));
    });
    const { url, connections } = server;
    const client = new OrchestratorClient(url);
    let caught: unknown;
    try {
      for await (const _ of client.events("run_missing")) {
        // nothing
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SseHttpError);
    expect(errorLine("invoke", caught)).toBe("invoke: run not found (status 404)");
    expect(connections).toHaveLength(1);
  });
});
