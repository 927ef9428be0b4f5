// Runs the real `ktsu` CLI (plain output: not a TTY) as a child process and collects what it printed.
import { spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";

export interface KtsuResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ktsu …` in `cwd` (the repository root by default), with `env` over the test's own environment. */
export function runKtsu(args: string[], env: Record<string, string | undefined> = {}, cwd = REPO_ROOT): Promise<KtsuResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "cli", "bin", "ktsu.js"), ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
