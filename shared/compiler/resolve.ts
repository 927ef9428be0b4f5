// Path rules for references between files. Agent refs resolve against the
// project dir, server paths against the agent file, sub-workflow refs against
// the referencing workflow file.

import type { ProjectFs } from "./fs.ts";
import { dirname, isAbsolute, join, normalize, resolveFrom } from "./paths.ts";

/** `a/b.yaml@1.0.0` → `a/b.yaml`: cut at the last `@` (Go's `StripVersion`). */
export function stripVersion(ref: string): string {
  const at = ref.lastIndexOf("@");
  return at < 0 ? ref : ref.slice(0, at);
}

/** An agent ref is joined onto the project dir; an absolute ref is used as is (the original joined it too). */
export function resolveAgentRef(projectDir: string, ref: string): string {
  return resolveFrom(projectDir, stripVersion(ref));
}

export interface ServerResolution {
  path: string;
  /** A candidate that would have matched relative to the project dir (for hints). */
  projectRelative?: string;
}

/**
 * `servers[].path`: relative to the agent file's directory; an absolute path is
 * used as is when it exists, otherwise retried under the project dir.
 */
export function resolveServerPath(fs: ProjectFs, projectDir: string, agentFile: string, path: string): ServerResolution {
  if (isAbsolute(path)) {
    const asIs = normalize(path);
    if (fs.isFile(asIs)) return { path: asIs };
    return { path: join(projectDir, path) };
  }
  const resolved = join(dirname(agentFile), path);
  if (fs.isFile(resolved)) return { path: resolved };
  const fromProject = join(projectDir, path);
  return fs.isFile(fromProject) ? { path: resolved, projectRelative: fromProject } : { path: resolved };
}

/** Sub-workflow refs must be local paths: `./…`, `../…` or absolute. */
export function isLocalWorkflowRef(ref: string): boolean {
  return ref.startsWith("./") || ref.startsWith("../") || isAbsolute(ref);
}

/**
 * Relative sub-workflow refs resolve against the referencing file's directory (the
 * original used the process's working directory at run time, unlike its own validator).
 */
export function resolveWorkflowRef(referencingFile: string, ref: string): string {
  return resolveFrom(dirname(referencingFile), ref);
}

export const WORKFLOW_SUFFIX = ".workflow.yaml";

/** `workflows/hello.workflow.yaml` → `hello`. */
export function invokeName(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf("/") + 1);
  return base.endsWith(WORKFLOW_SUFFIX) ? base.slice(0, -WORKFLOW_SUFFIX.length) : base;
}
