// Helpers for the browser tests: a webhook receiver that holds requests until
// released, and Debian's Chromium driven by playwright-core.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export interface HoldingServer {
  url: string;
  host: string;
  /** Paths requested so far. */
  received: string[];
  /** Answers every held request (and any later one) at once. */
  release(): void;
  /** Holds requests again until the next release(). */
  hold(): void;
  close(): Promise<void>;
}

/**
 * A webhook target whose `/slow` requests wait until the test releases them (or
 * `maxHoldMs` passes), so a run stays `running` exactly as long as the test needs.
 */
export async function startHoldingServer(maxHoldMs = 15_000): Promise<HoldingServer> {
  const received: string[] = [];
  let waiting: (() => void)[] = [];
  let held = true;
  const answer = (req: IncomingMessage, res: import("node:http").ServerResponse) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ ok: true, path: req.url }));
  };
  const server: Server = createServer((req, res) => {
    received.push(req.url ?? "");
    req.resume();
    if (!held || !req.url?.startsWith("/slow")) return answer(req, res);
    const timer = setTimeout(() => answer(req, res), maxHoldMs);
    waiting.push(() => {
      clearTimeout(timer);
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    received,
    release() {
      held = false;
      for (const go of waiting) go();
      waiting = [];
    },
    hold() {
      held = true;
    },
    close: () => {
      for (const go of waiting) go();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export const CHROMIUM = process.env.KTSU_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Headless Chromium with a fresh profile. The flags keep it from reaching the
 * network on its own (this machine has no internet) and let it run as root.
 */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set KTSU_CHROMIUM`);
  }
  const profile = await mkdtemp(path.join(tmpdir(), "ktsu-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1360, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
