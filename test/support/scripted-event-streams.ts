// A loopback server whose event streams are written by the test over HTTP, for tests that
// run inside workerd and cannot script a Node server directly (the gateway's egress relay).
//   GET  /events/<name>          opens an event stream (status 200, text/event-stream) and holds it
//   POST /__write/<name>         writes the request body to that stream, verbatim
//   POST /__end/<name>           ends it
//   GET  /__state/<name>         {"opened": bool, "closed": bool}: closed once either side ended it
//   GET  /hang                   never answers (a target slower than any timeout)
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedEventStreams {
  url: string;
  close(): Promise<void>;
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

export async function startScriptedEventStreams(): Promise<ScriptedEventStreams> {
  const streams = new Map<string, { res: ServerResponse; closed: boolean }>();
  const server: Server = createServer(async (req, res) => {
    const [, route = "", name = ""] = new URL(req.url ?? "/", "http://streams").pathname.split("/");
    const stream = streams.get(name);
    if (route === "events") {
      const entry = { res, closed: false };
      streams.set(name, entry);
      res.on("close", () => {
        entry.closed = true;
      });
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(": open\n\n");
      return;
    }
    if (route === "hang") return;
    res.setHeader("content-type", "application/json");
    if (route === "__state") return res.end(JSON.stringify({ opened: stream !== undefined, closed: stream?.closed ?? false }));
    if (!stream) return res.writeHead(404).end('{"error":"no such stream"}');
    if (route === "__write") {
      stream.res.write(await read(req));
      return res.end("{}");
    }
    if (route === "__end") {
      stream.res.end();
      return res.end("{}");
    }
    res.writeHead(404).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
