// A local HTTP server whose every event-stream connection is scripted by the
// test, for the readers of run events (the shared reconnect loop, the CLI, the viewer).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SseConnection {
  lastEventId: string | undefined;
  req: IncomingMessage;
  res: ServerResponse;
}

export interface SseServer {
  url: string;
  connections: SseConnection[];
  close(): Promise<void>;
}

export async function sseServer(handle: (connection: SseConnection, index: number) => void): Promise<SseServer> {
  const connections: SseConnection[] = [];
  const server: Server = createServer((req, res) => {
    const header = req.headers["last-event-id"];
    const connection = { lastEventId: typeof header === "string" ? header : undefined, req, res };
    connections.push(connection);
    handle(connection, connections.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One run event as the orchestrator writes it. */
export function sseEvent(seq: number, type: string, extra: Record<string, unknown> = {}): string {
  const data = { run_id: "run_1", seq, type, created_at: "2026-01-01T00:00:00Z", ...extra };
  return `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Answers 200 with an event stream that starts with a retry-only message of `retryMs`. */
export function openSse(res: ServerResponse, retryMs = 20): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(`retry: ${retryMs}\n\n`);
}
