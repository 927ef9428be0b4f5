// The CLI's Server-Sent Events reader: parsing, and following a run's stream
// across dropped connections with Last-Event-ID (no duplicate, no gap).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { OrchestratorClient, errorLine } from "../../cli/src/client/orchestrator.ts";
import { followSse, SseGaveUpError, SseHttpError, SseParser } from "../../cli/src/client/sse.ts";

describe("SseParser", () => {
  it("parses messages split anywhere, with CRLF, CR and LF line ends, comments and multi-line data", () => {
    const stream =
      ': keepalive\r\n\r\nretry: 250\nid: 1\nevent: a\ndata: {"x":1}\r\n\r\nid: 2\revent: b\rdata: line one\rdata: line two\r\rdata: no id or event\n\n';
    // Feed it one character at a time: every split point must work (CRLF split between chunks too).
    const parser = new SseParser();
    const messages = [...stream].flatMap((ch) => parser.push(ch));
    expect(messages).toEqual([
      { id: "1", event: "a", data: '{"x":1}' },
      { id: "2", event: "b", data: "line one\nline two" },
      { id: "2", event: "message", data: "no id or event" },
    ]);
    expect(parser.retry).toBe(250);
  });

  it("does not dispatch a message that has no data, nor a half-received one", () => {
    const parser = new SseParser();
    expect(parser.push("id: 5\nevent: x\n\n")).toEqual([]);
    expect(parser.push("id: 6\ndata: partial")).toEqual([]);
    parser.reset();
    expect(parser.push("\n\n")).toEqual([]);
  });
});

/** An SSE server whose every connection is scripted by the test. */
interface Connection {
  lastEventId: string | undefined;
  req: IncomingMessage;
  res: ServerResponse;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function sseServer(handle: (connection: Connection, index: number) => void): Promise<{ url: string; connections: Connection[] }> {
  const connections: Connection[] = [];
  server = createServer((req, res) => {
    const header = req.headers["last-event-id"];
    const connection = { lastEventId: typeof header === "string" ? header : undefined, req, res };
    connections.push(connection);
    handle(connection, connections.length - 1);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, connections };
}

function event(seq: number, type: string, extra: Record<string, unknown> = {}): string {
  const data = { run_id: "run_1", seq, type, created_at: "2026-01-01T00:00:00Z", ...extra };
  return `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

function open(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write("retry: 20\n\n");
}

describe("following a run's events across dropped connections", () => {
  it("resumes with Last-Event-ID after the connection drops mid-event, skipping replays: every event exactly once, in order", async () => {
    const { url, connections } = await sseServer((c, index) => {
      open(c.res);
      if (index === 0) {
        // Three events, then half of the fourth, then the socket dies.
        c.res.write(event(1, "run_started") + event(2, "step_started", { step_id: "a" }) + event(3, "step_completed", { step_id: "a" }));
        c.res.write(event(4, "step_started", { step_id: "b" }).slice(0, 25), () => setTimeout(() => c.req.socket.destroy(), 20));
      } else if (index === 1) {
        // A server that replays from an older point: 2 and 3 were already delivered.
        c.res.write(event(2, "step_started", { step_id: "a" }) + event(3, "step_completed", { step_id: "a" }));
        c.res.write(event(4, "step_started", { step_id: "b" }) + event(5, "step_completed", { step_id: "b" }) + event(6, "step_started", { step_id: "c" }));
        c.res.end(); // a clean close before the run ended: still a drop
      } else {
        c.res.write(`${event(7, "step_completed", { step_id: "c" })}: keepalive\n\n${event(8, "run_completed")}`);
        // Left open: the client must stop by itself after run_completed.
      }
    });
    const reconnects: { attempt: number; lastEventId: string | undefined }[] = [];
    const client = new OrchestratorClient(url);
    const seen: [number, string][] = [];
    for await (const e of client.events("run_1", { onReconnect: (info) => reconnects.push({ attempt: info.attempt, lastEventId: info.lastEventId }) })) {
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
    expect(reconnects).toEqual([
      { attempt: 1, lastEventId: "3" },
      { attempt: 1, lastEventId: "6" },
    ]);
  });

  it("treats a silent connection (no data, no keepalive) as dropped and reconnects", async () => {
    const { url, connections } = await sseServer((c, index) => {
      open(c.res);
      if (index === 0)
        c.res.write(event(1, "run_started")); // then silence
      else c.res.end(event(2, "run_failed", { data: { error: "boom" } }));
    });
    const types: string[] = [];
    for await (const m of followSse({ url, idleTimeoutMs: 150, isLast: (m) => m.event === "run_failed" })) types.push(m.event);
    expect(types).toEqual(["run_started", "run_failed"]);
    expect(connections.map((c) => c.lastEventId)).toEqual([undefined, "1"]);
  });

  it("resumes from a given event id on the first request", async () => {
    const { url, connections } = await sseServer((c) => {
      open(c.res);
      c.res.end(event(5, "run_completed"));
    });
    const ids: (string | undefined)[] = [];
    for await (const m of followSse({ url, lastEventId: "4", isLast: () => true })) ids.push(m.id);
    expect(ids).toEqual(["5"]);
    expect(connections[0]!.lastEventId).toBe("4");
  });

  it("stops on a 404 without retrying, with the orchestrator's message", async () => {
    const { url, connections } = await sseServer((c) => {
      c.res.writeHead(404, { "content-type": "application/json" });
      c.res.end(JSON.stringify({ error: "not_found", message: "run not found" }));
    });
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

  it("gives up after maxRetries failed connections in a row", async () => {
    const { url, connections } = await sseServer((c) => {
      c.res.writeHead(503);
      c.res.end("busy");
    });
    const stream = followSse({ url, maxRetries: 2, retryMs: 5 });
    await expect(stream.next()).rejects.toBeInstanceOf(SseGaveUpError);
    expect(connections).toHaveLength(3);
  });
});
