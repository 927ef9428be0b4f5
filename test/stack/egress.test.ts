import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Miniflare, convertV4MiniflareOptions, Log, LogLevel } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localWorkerOptions, startStack, type LocalStack } from "../../cli/src/stack/stack.ts";
import { WORKERS } from "../../cli/src/stack/paths.ts";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";

/** A loopback server standing in for "the internet": it counts what reaches it. */
let server: Server;
let serverUrl: string;
const hits: Array<{ method: string; url: string; body: string }> = [];

let stack: LocalStack;
let stateDir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/big") return res.end("x".repeat(5000));
    if (req.url === "/big-chunked") {
      res.write("y".repeat(3000));
      return setTimeout(() => res.end("y".repeat(3000)), 20);
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hits.push({ method: req.method ?? "", url: req.url ?? "", body });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ received: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-egress-"));
  stack = await startStack({
    projectBundle: path.join(REPO_ROOT, "dist", "test-project", "bundle.js"),
    stateDir,
    egressAllow: [new URL(serverUrl).host],
    vars: { gateway: { KTSU_EGRESS_MAX_RESPONSE_BYTES: "4096" } },
  });
});

afterAll(async () => {
  await stack?.dispose();
  await new Promise((resolve) => server?.close(resolve));
  await rm(stateDir, { recursive: true, force: true });
});

describe("egress through the gateway", () => {
  it("forwards a request to an allowed host and returns the upstream reply", async () => {
    const before = hits.length;
    const gateway = await stack.worker("gateway");
    const res = await gateway.fetch("http://gateway/egress", {
      method: "POST",
      headers: { "x-ktsu-egress-url": `${serverUrl}/hook?x=1`, "content-type": "application/json" },
      body: JSON.stringify({ hello: "world" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    expect(hits.slice(before)).toEqual([{ method: "POST", url: "/hook?x=1", body: '{"hello":"world"}' }]);
  });

  it("refuses a host that is not in the allowlist and sends nothing", async () => {
    const before = hits.length;
    const gateway = await stack.worker("gateway");
    const port = new URL(serverUrl).port;
    const res = await gateway.fetch("http://gateway/egress", { method: "POST", headers: { "x-ktsu-egress-url": `http://localhost:${port}/x` } });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-ktsu-egress-error")).toBe("1");
    expect(await res.json()).toEqual({ error: "egress_denied", message: `host "localhost:${port}" is not in the egress allowlist` });
    expect(hits.length).toBe(before);
  });
});

describe("egress size limits", () => {
  it("refuses a reply whose declared length is over the limit", async () => {
    const gateway = await stack.worker("gateway");
    const res = await gateway.fetch("http://gateway/egress", { headers: { "x-ktsu-egress-url": `${serverUrl}/big` } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { message: string }).message).toMatch(/response of 5000 bytes exceeds 4096$/);
  });

  it("cuts a reply without a length once it passes the limit", async () => {
    const gateway = await stack.worker("gateway");
    const res = await gateway.fetch("http://gateway/egress", { headers: { "x-ktsu-egress-url": `${serverUrl}/big-chunked` } });
    await expect(res.text()).rejects.toThrow();
  });
});

describe("no other Worker can fetch out", () => {
  // Each Worker's outbound configuration, exactly as the stack sets it, is given a probe
  // script that tries to fetch the loopback server directly.
  const probe = `export default { async fetch(req) {
    const res = await fetch(new URL(req.url).searchParams.get("target"));
    return new Response(res.status + " " + (await res.text()));
  } }`;

  it.each(WORKERS)("%s", async (worker) => {
    const { outboundService } = localWorkerOptions(worker, "unused.js") as { outboundService?: unknown };
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        cf: false,
        log: new Log(LogLevel.NONE),
        workers: [{ name: `probe-${worker}`, modules: true, script: probe, compatibilityDate: "2026-10-01", ...(outboundService ? { outboundService } : {}) }],
      } as Parameters<typeof convertV4MiniflareOptions>[0]),
    );
    try {
      const before = hits.length;
      const res = await mf.dispatchFetch(`http://probe/?target=${encodeURIComponent(`${serverUrl}/direct`)}`);
      const text = await res.text();
      if (worker === "gateway") {
        expect(text).toBe('200 {"received":true}');
        expect(hits.length).toBe(before + 1);
      } else {
        expect(text).toMatch(/^403 egress blocked: the \w+ Worker may not fetch/);
        expect(hits.length).toBe(before);
      }
    } finally {
      await mf.dispose();
    }
  });
});
