// What `ktsu version` and `ktsu --version` print. `npm run package` writes
// build-info.json at the package root when it packs; a checkout has none and
// prints the original's defaults (dev / unknown / unknown).
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./stack/paths.ts";

export interface BuildInfo {
  version: string;
  commit: string;
  built: string;
}

export const DEV_BUILD: BuildInfo = { version: "dev", commit: "unknown", built: "unknown" };

export function buildInfo(root = REPO_ROOT): BuildInfo {
  try {
    const info = JSON.parse(readFileSync(path.join(root, "build-info.json"), "utf8")) as Partial<BuildInfo>;
    return { version: info.version ?? DEV_BUILD.version, commit: info.commit ?? DEV_BUILD.commit, built: info.built ?? DEV_BUILD.built };
  } catch {
    return DEV_BUILD;
  }
}

/** The original's three lines, its labels padded to one column as Go's tabwriter does. */
export function renderVersion(info: BuildInfo): string {
  return `Version:  ${info.version}\nCommit:   ${info.commit}\nBuilt:    ${info.built}\n`;
}
