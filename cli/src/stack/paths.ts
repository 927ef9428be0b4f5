import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

/**
 * The nearest ancestor of `from` that holds the Workers' sources and the D1
 * migrations. Found by looking rather than by a fixed `../..`, because the
 * same code runs from `cli/src/` in a checkout and bundled into
 * `cli/dist/main.js` in the installed package, whose layout mirrors the repository.
 */
export function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "workers")) && existsSync(path.join(dir, "migrations"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`ktsu: cannot find the Workers' sources above ${from}; the installation is incomplete`);
  }
}

/** The repository root, or the installed package's root (the same layout). */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The four Workers, in the order the local stack starts them (the first one serves the public port). */
export const WORKERS = ["orchestrator", "runtime", "gateway", "tools"] as const;
export type WorkerName = (typeof WORKERS)[number];

/**
 * A Worker's wrangler config: the orchestrator's is the repository's top-level
 * `wrangler.toml` (so plain `wrangler deploy` there deploys it), the others sit
 * next to their code.
 */
export function wranglerConfigPath(worker: WorkerName): string {
  return worker === "orchestrator" ? path.join(REPO_ROOT, "wrangler.toml") : path.join(REPO_ROOT, "workers", worker, "wrangler.toml");
}

/**
 * The JavaScript file of a dependency's bin, found by module resolution: in a
 * checkout it sits in the repository's node_modules, in an installed package
 * wherever npm hoisted it. Run it with `process.execPath` so it gets this Node.
 */
export function binScript(pkg: string, bin = pkg): string {
  const require = createRequire(path.join(REPO_ROOT, "package.json"));
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: string | Record<string, string> };
  const relative = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.[bin];
  if (!relative) throw new Error(`ktsu: the ${pkg} package has no "${bin}" bin`);
  return path.join(path.dirname(manifestPath), relative);
}

/** A command in the checkout's node_modules/.bin (tests and benchmarks; the CLI itself uses binScript). */
export function binPath(name: string): string {
  return path.join(REPO_ROOT, "node_modules", ".bin", name);
}

/** Environment that keeps wrangler from reaching the internet. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
} as const;
