// The shared reconnecting event-stream reader (shared/sse/follow.ts): resuming
// with Last-Event-ID, the server's retry delay, idle drops, giving up.
import { afterEach, describe, expect, it } from "vitest";
import { followSse, type ReconnectInfo, SseGaveUpError } from "../../../shared/sse/follow.ts";
import { openSse, type SseServer, sseEvent, sseServer } from "../../support/sse-server.ts";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("followSse", () => {
  it("takes a retry-only message's delay for the next reconnection and yields nothing for it", async () => {
    server = await sseServer((c, index) => {
      if (index === 0) {
        openSse(c.res, 7);
        c.res.end(sseEvent(1, "run_started"));
      } else {
        // A second retry-only message, with no blank line before the event: only its delay matters.
        openSse(c.res, 3);
        c.res.end(sseEvent(2, "run_completed"));
      }
    });
    const reconnects: ReconnectInfo[] = [];
    const seen: (string | undefined)[] = [];
    for await (const m of followSse({
      url: server.url,
      fetch,
      retryMs: 60_000,
      isLast: (m) => m.event === "run_completed",
      onReconnect: (r) => reconnects.push(r),
    })) {
      seen.push(m.id);
    }
    expect(seen).toEqual(["1", "2"]);
    expect(reconnects.map((r) => r.delayMs)).toEqual([7]);
    expect(server.connections.map((c) => c.lastEventId)).toEqual([undefined, "1"]);
  });

  it("treats a silent connection (no data, no keepalive) as dropped and reconnects", async () => {
    server = await sseServer((c, index) => {
      openSse(c.res);
      if (index === 0)
        c.res.write(sseEvent(1, "run_started")); // then silence
      else c.res.end(sseEvent(2, "run_failed", { data: { error: "boom" } }));
    });
    const types: string[] = [];
    for await (const m of followSse({ url: server.url, fetch, idleTimeoutMs: 150, isLast: (m) => m.event === "run_failed" })) types.push(m.event);
    expect(types).toEqual(["run_started", "run_failed"]);
    expect(server.connections.map((c) => c.lastEventId)).toEqual([undefined, "1"]);
  });

  it("resumes from a given event id on the first request", async () => {
    server = await sseServer((c) => {
      openSse(c.res);
      c.res.end(sseEvent(5, "run_completed"));
    });
    const ids: (string | undefined)[] = [];
    for await (const m of followSse({ url: server.url, fetch, lastEventId: "4", isLast: () => true })) ids.push(m.id);
    expect(ids).toEqual(["5"]);
    expect(server.connections[0]?.lastEventId).toBe("4");
  });

  it("ends quietly when a connection closes empty and isOver says the stream is over", async () => {
    server = await sseServer((c) => {
      openSse(c.res);
      c.res.end();
    });
    let asked = 0;
    const stream = followSse({
      url: server.url,
      fetch,
      lastEventId: "9",
      isOver: async () => {
        asked += 1;
        return asked === 2; // the first empty close is a drop, the second is the end
      },
    });
    const seen: unknown[] = [];
    for await (const m of stream) seen.push(m);
    expect(seen).toEqual([]);
    expect(asked).toBe(2);
    expect(server.connections.map((c) => c.lastEventId)).toEqual(["9", "9"]);
  });

  it("gives up after maxRetries failed connections in a row", async () => {
    server = await sseServer((c) => {
      c.res.writeHead(503);
      c.res.end("busy");
    });
    const stream = followSse({ url: server.url, fetch, maxRetries: 2, retryMs: 5 });
    await expect(stream.next()).rejects.toBeInstanceOf(SseGaveUpError);
    expect(server.connections).toHaveLength(3);
  });
});
