import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { OFFLINE_ENV, REPO_ROOT, WORKERS, binScript, type WorkerName } from "./paths.ts";
import { bundlingConfigPath } from "./worker-config.ts";

const run = promisify(execFile);

export interface BuiltWorkers {
  /** Entry module of each Worker, bundled by wrangler exactly as `wrangler deploy` would upload it. */
  entry: Record<WorkerName, string>;
}

export interface WranglerDeployOptions {
  /**
   * Upload to Cloudflare (`wrangler deploy`). Default false: `--dry-run`, which
   * only bundles and works offline. Uploads show wrangler's own output.
   */
  upload?: boolean;
  /** Plain-text vars passed as `--var NAME:VALUE` (never secrets). */
  vars?: Record<string, string>;
  /** A JSON file of secrets uploaded with the Worker (`--secrets-file`), so they are set before it serves traffic. */
  secretsFile?: string;
  /** Environment for wrangler (default: process.env; dry runs add OFFLINE_ENV). */
  env?: NodeJS.ProcessEnv;
}

/** The wrangler arguments for one Worker (exported for the tests and for `ktsu deploy` to print). */
export function wranglerDeployArgs(configPath: string, outDir: string, projectBundle: string, options: WranglerDeployOptions = {}): string[] {
  const args = ["deploy", ...(options.upload ? [] : ["--dry-run"]), "--outdir", outDir, "-c", configPath, "--alias", `ktsu-project:${projectBundle}`];
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);
  if (options.secretsFile) args.push("--secrets-file", options.secretsFile);
  return args;
}

/**
 * Bundles one Worker with `wrangler deploy --dry-run`, pointing its
 * `ktsu-project` import at the given project bundle. Using wrangler itself
 * keeps the local stack's code identical to what gets deployed. With
 * `upload: true` the same command runs without `--dry-run` and deploys it.
 */
export async function buildWorker(configPath: string, outDir: string, projectBundle: string, options: WranglerDeployOptions = {}): Promise<string> {
  const args = wranglerDeployArgs(configPath, outDir, projectBundle, options);
  const what = path.relative(REPO_ROOT, configPath);
  if (options.upload) {
    // Real deploys show wrangler as it runs (progress, bindings, the deployed URL). stdin is closed:
    // wrangler takes its non-interactive answers, so a deploy never waits for input.
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [binScript("wrangler"), ...args], {
        cwd: REPO_ROOT,
        env: options.env ?? process.env,
        stdio: ["ignore", "inherit", "inherit"],
      });
      child.once("error", reject);
      child.once("exit", (status) => resolve(status));
    });
    if (code !== 0) throw new Error(`deploying ${what} failed (wrangler exited with ${code ?? "a signal"})`);
    return path.join(outDir, "index.js");
  }
  try {
    await run(process.execPath, [binScript("wrangler"), ...args], { cwd: REPO_ROOT, env: { ...(options.env ?? process.env), ...OFFLINE_ENV } });
  } catch (err) {
    const out = err as { stdout?: string; stderr?: string };
    throw new Error(`bundling ${what} failed:\n${out.stderr || out.stdout || String(err)}`, { cause: err });
  }
  return path.join(outDir, "index.js");
}

/** Bundles the four Workers into `<outDir>/<worker>/index.js`. */
export async function buildWorkers(outDir: string, projectBundle: string): Promise<BuiltWorkers> {
  const entries = await Promise.all(
    WORKERS.map(async (w) => buildWorker(await bundlingConfigPath(w, path.join(outDir, "config")), path.join(outDir, w), projectBundle)),
  );
  return { entry: Object.fromEntries(WORKERS.map((w, i) => [w, entries[i]!])) as Record<WorkerName, string> };
}
