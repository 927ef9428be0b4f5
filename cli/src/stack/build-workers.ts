import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { OFFLINE_ENV, REPO_ROOT, WORKERS, binPath, wranglerConfigPath, type WorkerName } from "./paths.ts";

const run = promisify(execFile);

export interface BuiltWorkers {
  /** Entry module of each Worker, bundled by wrangler exactly as `wrangler deploy` would upload it. */
  entry: Record<WorkerName, string>;
}

/**
 * Bundles one Worker with `wrangler deploy --dry-run`, pointing its
 * `ktsu-project` import at the given project bundle. Using wrangler itself
 * keeps the local stack's code identical to what gets deployed.
 */
export async function buildWorker(configPath: string, outDir: string, projectBundle: string): Promise<string> {
  const args = ["deploy", "--dry-run", "--outdir", outDir, "-c", configPath, "--alias", `ktsu-project:${projectBundle}`];
  try {
    await run(binPath("wrangler"), args, { cwd: REPO_ROOT, env: { ...process.env, ...OFFLINE_ENV } });
  } catch (err) {
    const out = err as { stdout?: string; stderr?: string };
    throw new Error(`bundling ${path.relative(REPO_ROOT, configPath)} failed:\n${out.stderr || out.stdout || String(err)}`);
  }
  return path.join(outDir, "index.js");
}

/** Bundles the four Workers into `<outDir>/<worker>/index.js`. */
export async function buildWorkers(outDir: string, projectBundle: string): Promise<BuiltWorkers> {
  const entries = await Promise.all(WORKERS.map((w) => buildWorker(wranglerConfigPath(w), path.join(outDir, w), projectBundle)));
  return { entry: Object.fromEntries(WORKERS.map((w, i) => [w, entries[i]!])) as Record<WorkerName, string> };
}
