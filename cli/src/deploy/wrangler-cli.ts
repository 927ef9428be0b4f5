// Runs the pinned wrangler for the deploy's account-level steps. stdin is
// closed, so wrangler never stops to ask (it takes its non-interactive
// defaults), and `ktsu deploy` never waits for input.

import { spawn } from "node:child_process";
import { binScript, REPO_ROOT } from "../stack/paths.ts";

export interface WranglerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `wrangler …args` and collects its output (shown only when `echo`). */
export function wrangler(args: string[], options: { echo?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<WranglerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binScript("wrangler"), ...args], {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like `wrangler`, but a non-zero exit is an error naming the command. */
export async function wranglerOk(args: string[], options: { echo?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<WranglerResult> {
  const result = await wrangler(args, options);
  if (result.code !== 0) {
    const detail = options.echo ? "" : `:\n${(result.stderr || result.stdout).trim()}`;
    throw new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (exit ${result.code ?? "by a signal"})${detail}`);
  }
  return result;
}
