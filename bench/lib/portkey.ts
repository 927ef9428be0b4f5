// Runs the Portkey open-source gateway (npm @portkey-ai/gateway) beside our stack for
// bench/gateway.ts. It is installed on demand into bench/.portkey (pinned version,
// no install scripts) rather than being a project dependency: only the benchmark needs it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, binPath } from "../../cli/src/stack/paths.ts";
import { sleep } from "./stats.ts";

const VERSION = "1.15.2";
const DIR = path.join(REPO_ROOT, "bench", ".portkey");
const ENTRY = path.join(DIR, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");

export async function installPortkey(): Promise<void> {
  if (existsSync(ENTRY)) return;
  mkdirSync(DIR, { recursive: true });
  writeFileSync(path.join(DIR, "package.json"), JSON.stringify({ name: "portkey-bench", private: true }));
  await promisify(execFile)("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", `@portkey-ai/gateway@${VERSION}`], { cwd: DIR });
}

export interface Portkey {
  url: string;
  stop(): void;
}

export async function startPortkey(port: number): Promise<Portkey> {
  await installPortkey();
  const child: ChildProcess = spawn(binPath("node"), [ENTRY, `--port=${port}`, "--headless"], {
    cwd: DIR,
    env: { ...process.env, NODE_ENV: "production" },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return { url, stop: () => child.kill("SIGTERM") };
    } catch {
      await sleep(100);
    }
  }
  child.kill("SIGKILL");
  throw new Error("Portkey did not start");
}

export const PORTKEY_VERSION = VERSION;
