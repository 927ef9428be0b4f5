import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root (the CLI always runs from its own checkout). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

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
