// Shared option handling: which project directory a command works on.

import { basename, dirname, resolve } from "node:path";

/** Positional DIR, then --project-dir, then KTSU_PROJECT_DIR, then ".". */
export function projectDirFrom(positional: string | undefined, flag: string | undefined): string {
  return resolve(positional ?? flag ?? process.env.KTSU_PROJECT_DIR ?? ".");
}

/** For a workflow file: --project-dir, else the parent of a `workflows/` dir, else KTSU_PROJECT_DIR or ".". */
export function projectDirForWorkflow(file: string, flag: string | undefined): string {
  if (flag !== undefined) return resolve(flag);
  const dir = dirname(resolve(file));
  if (basename(dir) === "workflows") return dirname(dir);
  return resolve(process.env.KTSU_PROJECT_DIR ?? ".");
}

export function resolveOptional(path: string | undefined): string | undefined {
  return path === undefined ? undefined : resolve(path);
}
