// `ktsu logs`: the local stack's logs (the file `ktsu start` writes beside its
// state), or, with --environment, a deployed project's Workers live through
// `wrangler tail`.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { deployNames } from "../deploy/names.ts";
import { readLog } from "../stack/follow-log.ts";
import { stackLogFile } from "../stack/log-file.ts";
import { binScript, REPO_ROOT, WORKERS, type WorkerName } from "../stack/paths.ts";
import { stateDirOf } from "../stack/state-dir.ts";
import { projectDirFrom } from "../options.ts";

interface LogsFlags {
  projectDir?: string;
  stateDir?: string;
  follow?: boolean;
  environment?: string;
  worker?: string[];
  format?: string;
}

/** The `wrangler tail` argv for each deployed Worker asked for (named as `ktsu deploy` names them). */
export function wranglerTailArgs(projectDir: string, environment: string, workers: readonly WorkerName[], format = "pretty"): Record<string, string[]> {
  const names = deployNames(projectDir, environment).workers;
  return Object.fromEntries(workers.map((w) => [w, ["tail", names[w], "--format", format]]));
}

/** Runs one `wrangler tail` per Worker, each line prefixed with the Worker; resolves with the worst exit code. */
async function tailDeployed(commands: Record<string, string[]>): Promise<number> {
  const codes = await Promise.all(
    Object.entries(commands).map(
      ([worker, args]) =>
        new Promise<number>((resolve, reject) => {
          const child = spawn(process.execPath, [binScript("wrangler"), ...args], { cwd: REPO_ROOT, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
          const prefix = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
            for (const line of chunk.toString().split("\n")) if (line !== "") stream.write(`[${worker}] ${line}\n`);
          };
          child.stdout.on("data", prefix(process.stdout));
          child.stderr.on("data", prefix(process.stderr));
          child.once("error", reject);
          child.once("close", (code) => resolve(code ?? 1));
        }),
    ),
  );
  return Math.max(0, ...codes);
}

function workersFrom(flag: string[] | undefined): WorkerName[] {
  if (!flag || flag.length === 0) return [...WORKERS];
  const unknown = flag.filter((w) => !(WORKERS as readonly string[]).includes(w));
  if (unknown.length > 0) throw new Error(`--worker ${unknown.join(", ")}: not one of ${WORKERS.join(", ")}`);
  return flag as WorkerName[];
}

export function register(program: Command): void {
  program
    .command("logs")
    .description("print the local stack's logs (--follow to keep following), or follow a deployed project's Workers (--environment)")
    .option("--project-dir <dir>", "project directory (default: KTSU_PROJECT_DIR or .)")
    .option("--state-dir <dir>", "the local stack's state dir, as given to ktsu start (default: <project>/.ktsu)")
    .option("-f, --follow", "keep printing lines as the local stack logs them")
    .option("--environment <name>", "follow the Workers `ktsu deploy --environment NAME` deployed, through wrangler tail")
    .option("--worker <name>", "with --environment: only this Worker (orchestrator, runtime, gateway, tools; repeatable)", (w: string, all: string[] = []) => [
      ...all,
      w,
    ])
    .option("--format <format>", "with --environment: wrangler tail's format (pretty or json)", "pretty")
    .action(async (flags: LogsFlags) => {
      const projectDir = projectDirFrom(undefined, flags.projectDir);
      if (flags.environment !== undefined) {
        const commands = wranglerTailArgs(projectDir, flags.environment, workersFrom(flags.worker), flags.format);
        for (const args of Object.values(commands)) process.stderr.write(`ktsu logs: wrangler ${args.join(" ")}\n`);
        process.exitCode = await tailDeployed(commands);
        return;
      }
      if (flags.worker) throw new Error("--worker goes with --environment: the local stack's Workers share one log");
      const file = stackLogFile(stateDirOf({ projectDir, ...(flags.stateDir ? { stateDir: flags.stateDir } : {}) }));
      if (!existsSync(file) && !flags.follow) {
        process.stderr.write(
          `ktsu logs: no logs at ${path.relative(process.cwd(), file) || file}: start the stack with ktsu start --all (or give its --state-dir)\n`,
        );
        process.exitCode = 1;
        return;
      }
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      await readLog(file, (chunk) => process.stdout.write(chunk), { follow: flags.follow === true, signal: stop.signal });
    });
}
