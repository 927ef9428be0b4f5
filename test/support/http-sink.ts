// A loopback HTTP server standing in for the outside world in tests (webhook
// receivers): it records every request and answers with a configurable status.
// Control: GET /__calls, POST /__reset, POST /__status?path=/x&status=500, POST /__delay?path=/x&ms=2000.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SinkCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpSink {
  url: string;
  calls: SinkCall[];
  close(): Promise<void>;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => resolve(body));
  });
}

export interface HttpSinkOptions {
  port?: number;
  /** Called for every recorded request (examples print them). */
  onCall?: (call: SinkCall) => void;
}

export async function startHttpSink(options: HttpSinkOptions = {}): Promise<HttpSink> {
  const calls: SinkCall[] = [];
  const statusByPath = new Map<string, number>();
  const delayByPath = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://sink");
    const body = await read(req);
    res.setHeader("content-type", "application/json");
    if (url.pathname === "/__calls") return res.end(JSON.stringify({ calls }));
    if (url.pathname === "/__reset") {
      calls.length = 0;
      statusByPath.clear();
      delayByPath.clear();
      return res.end("{}");
    }
    if (url.pathname === "/__delay") {
      delayByPath.set(url.searchParams.get("path") ?? "/", Number(url.searchParams.get("ms") ?? 0));
      return res.end("{}");
    }
    if (url.pathname === "/__status") {
      statusByPath.set(url.searchParams.get("path") ?? "/", Number(url.searchParams.get("status") ?? 200));
      return res.end("{}");
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
    const call = { method: req.method ?? "", path: url.pathname + url.search, headers, body };
    calls.push(call);
    options.onCall?.(call);
    const delay = delayByPath.get(url.pathname);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    res.statusCode = statusByPath.get(url.pathname) ?? 200;
    res.end(JSON.stringify({ ok: res.statusCode < 400 }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
