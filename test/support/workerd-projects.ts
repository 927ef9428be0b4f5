// Node-side helpers for the workerd vitest projects (test/workers/*/vitest.config.ts):
// every project runs one Worker as the main Worker and the others, pre-bundled by
// `npm run build:workers`, as auxiliary Workers with the same bindings and egress
// rules the local stack gives them.
import path from "node:path";
import type { LegacyWorkerOptions, V4ServiceDesignator } from "miniflare";
import { OFFLINE_ENV, REPO_ROOT, type WorkerName } from "../../cli/src/stack/paths.ts";
import { localWorkerOptions, WORKER_SERVICE_NAME } from "../../cli/src/stack/stack.ts";

// Wrangler code used by the tests must never try to reach the internet.
Object.assign(process.env, OFFLINE_ENV);

export const DIST = path.join(REPO_ROOT, "dist");
/** The test fixture's bundle: never dist/project/, which the top-level wrangler.toml's build writes for a plain `wrangler deploy`. */
export const PROJECT_BUNDLE = path.join(DIST, "test-project", "bundle.js");

/** The plugin names the main Worker `vitest-plugin-runner-<project name>`. */
export function runnerName(project: string): string {
  return `vitest-plugin-runner-${project.replace(/[^a-z0-9-]/gi, "_")}`;
}

/** Rebinds service bindings that target `main` (the Worker under test) to the test runner. */
function bindMainTo(options: LegacyWorkerOptions, main: WorkerName, runner: string): LegacyWorkerOptions {
  const bindings: Record<string, V4ServiceDesignator> = {};
  for (const [binding, target] of Object.entries(options.serviceBindings ?? {})) {
    const targetsMain = typeof target === "object" && target !== null && "name" in target && target.name === WORKER_SERVICE_NAME[main];
    bindings[binding] = targetsMain ? { ...(target as object), name: runner } : target;
  }
  return { ...options, serviceBindings: bindings };
}

/**
 * An auxiliary Worker from dist/: `entry` defaults to the real Worker's bundle;
 * tests may substitute a test double that keeps the Worker's name and bindings.
 */
export function auxWorker(
  worker: WorkerName,
  main: { worker: WorkerName; project: string },
  options: { entry?: string; vars?: Record<string, string>; egressAllow?: string[] } = {},
): LegacyWorkerOptions {
  const entry = options.entry ?? path.join(DIST, worker, "index.js");
  const base = localWorkerOptions(worker, entry, {
    vars: { [worker]: options.vars ?? {} },
    ...(options.egressAllow ? { egressAllow: options.egressAllow } : {}),
  });
  return bindMainTo(base, main.worker, runnerName(main.project));
}

export const REPO = REPO_ROOT;
