// Shared option handling: which project directory a command works on, and
// which other workspaces it serves.

import { statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { Option } from "commander";

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

/** `--workspace DIR` (repeatable) and `--no-hub-lock`, as commander parses them. */
export interface WorkspaceFlags {
  workspace?: string[];
  /** False with `--no-hub-lock`. */
  hubLock?: boolean;
}

export interface WorkspaceOptions {
  /** Absolute, in lookup order. */
  workspaces: string[];
  /** Load `<project>/ktsuhub.lock.yaml`'s cache dirs as workspaces too. */
  hubLock: boolean;
}

/** `--workspace DIR` (repeatable): for `.addOption()` on every command that loads a project. */
export function workspaceOption(): Option {
  return new Option("--workspace <dir>", "also serve the workflows of another project dir (repeatable; looked up after the project, in order)").argParser(
    (dir: string, previous: string[] | undefined) => [...(previous ?? []), dir],
  );
}

/** `--no-hub-lock`: commander sets `hubLock: false`. */
export function noHubLockOption(): Option {
  return new Option("--no-hub-lock", "do not load the workspaces listed in <project>/ktsuhub.lock.yaml");
}

/** The workspace flags, checked: every `--workspace` must be a directory. */
export function workspaceOptions(flags: WorkspaceFlags): WorkspaceOptions {
  const workspaces = (flags.workspace ?? []).map((dir) => resolve(dir));
  for (const dir of workspaces) {
    if (!isDirectory(dir)) throw new Error(`--workspace ${dir}: not a directory`);
  }
  return { workspaces, hubLock: flags.hubLock !== false };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
