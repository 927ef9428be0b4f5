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
 * Bundles the four Workers with `wrangler deploy --dry-run`, pointing the
 * `ktsu-project` import at the given project bundle. Using wrangler itself
 * keeps the local stack's code identical to what gets deployed.
 */
export async function buildWorkers(outDir: string, projectBundle: string): Promise<BuiltWorkers> {
  const entry = {} as Record<WorkerName, string>;
  await Promise.all(
    WORKERS.map(async (worker) => {
      const dir = path.join(outDir, worker);
      const args = ["deploy", "--dry-run", "--outdir", dir, "-c", wranglerConfigPath(worker), "--alias", `ktsu-project:${projectBundle}`];
      try {
        await run(binPath("wrangler"), args, { cwd: REPO_ROOT, env: { ...process.env, ...OFFLINE_ENV } });
      } catch (err) {
        const out = err as { stdout?: string; stderr?: string };
        throw new Error(`bundling the ${worker} Worker failed:\n${out.stderr || out.stdout || String(err)}`);
      }
      entry[worker] = path.join(dir, "index.js");
    }),
  );
  return { entry };
}
