import path from "node:path";

/** Where a project's local state lives: `--state-dir`, or `<project>/.ktsu`. */
export function stateDirOf(options: { projectDir: string; stateDir?: string | undefined }): string {
  return path.resolve(options.stateDir ?? path.join(path.resolve(options.projectDir), ".ktsu"));
}
