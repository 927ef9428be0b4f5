// The three ways the suite runs the local stack:
// - in this process, with `startLocalProject` (what `ktsu start --all` runs);
// - in this process with extra per-Worker vars (a silent runtime) and a chosen egress
//   allowlist: the same build and `startStack`, only the vars differ;
// - as a separate `ktsu start --all` process, so it can be killed by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildProject } from "../../../cli/src/build/index.ts";
import { REPO_ROOT, binPath } from "../../../cli/src/stack/paths.ts";
import { egressHosts, workerVars } from "../../../cli/src/stack/project-vars.ts";
import { startStack, type LocalStack } from "../../../cli/src/stack/stack.ts";
import { startLocalProject, stateKey } from "../../../cli/src/stack/start-local.ts";
import type { WorkerName } from "../../../cli/src/stack/paths.ts";

export type Environment = Record<string, string | undefined>;

export async function startInProcess(options: { projectDir: string; stateDir: string; environment: Environment }): Promise<LocalStack> {
  const started = await startLocalProject({ projectDir: options.projectDir, stateDir: options.stateDir, port: 0, environment: options.environment });
  return started.stack;
}

/**
 * Like `startLocalProject`, plus vars for any Worker (e.g. the runtime's
 * KTSU_HEARTBEAT_INTERVAL_MS) and an egress allowlist filtered by `allow`.
 */
export async function startWithVars(options: {
  projectDir: string;
  stateDir: string;
  environment: Environment;
  vars?: Partial<Record<WorkerName, Record<string, string>>>;
  allow?: (hosts: string[]) => string[];
}): Promise<LocalStack> {
  const built = await buildProject({ projectDir: options.projectDir, outFile: path.join(options.stateDir, "project", "bundle.js") });
  if (!built.ok || !built.bundle) throw new Error(`the project does not validate: ${JSON.stringify(built.report.errors)}`);
  const base = workerVars(built.bundle, options.environment);
  const vars: Partial<Record<WorkerName, Record<string, string>>> = {
    orchestrator: { ...base.orchestrator, KTSU_STATE_KEY: stateKey(options.stateDir), ...options.vars?.orchestrator },
    gateway: { ...base.gateway, ...options.vars?.gateway },
    ...(options.vars?.runtime ? { runtime: options.vars.runtime } : {}),
    ...(options.vars?.tools ? { tools: options.vars.tools } : {}),
  };
  for (const name of ["KTSU_HEARTBEAT_TIMEOUT_MS", "KTSU_ADMIN_TOKEN"]) {
    const value = options.environment[name];
    if (value !== undefined) vars.orchestrator![name] ??= value;
  }
  const hosts = egressHosts(built.bundle, options.environment);
  return startStack({ projectBundle: built.outFile, stateDir: options.stateDir, port: 0, vars, egressAllow: options.allow ? options.allow(hosts) : hosts });
}

// ------------------------------------------------------------ ktsu start as a child process

export interface ChildStack {
  url: string;
  /** The Node process running `ktsu start`. */
  pid: number;
  /** Its workerd child. */
  workerdPid: number;
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /** SIGKILL the Node process and its workerd child, by PID; resolves once both are gone. */
  kill9(): Promise<void>;
  /** SIGTERM, as Ctrl+C would. */
  stop(): Promise<void>;
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((p) => parentOf(p) === pid);
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8");
    return state.slice(state.lastIndexOf(")") + 2)[0] !== "Z"; // a zombie has already died
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startChild(options: { projectDir: string; stateDir: string; environment: Environment; timeoutMs?: number }): Promise<ChildStack> {
  const child: ChildProcess = spawn(binPath("ktsu"), ["start", "--all", "--project-dir", options.projectDir, "--state-dir", options.stateDir, "--port", "0"], {
    cwd: REPO_ROOT,
    env: { ...options.environment, PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}:${process.env.PATH}` } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ktsu start printed no URL:\n${output}`)), options.timeoutMs ?? 240_000); // starting on a busy machine is slow
    const look = () => {
      const match = /orchestrator listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`ktsu start exited (${code}):\n${output}`));
    });
  });
  const pid = child.pid!;
  const workerdPid = childrenOf(pid).find((p) => commandOf(p).includes("workerd"));
  if (!workerdPid) throw new Error(`no workerd child under ${pid}`);
  return {
    url,
    pid,
    workerdPid,
    output: () => output,
    async kill9() {
      for (const target of [pid, workerdPid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await exited;
      await until(() => !alive(workerdPid), 10_000, `workerd ${workerdPid} to die`);
    },
    async stop() {
      if (!alive(pid)) return;
      child.kill("SIGTERM");
      await exited;
      await until(() => !alive(workerdPid), 10_000, `workerd ${workerdPid} to stop`);
    },
  };
}
