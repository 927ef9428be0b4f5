// The Cloudflare names of one deployment, derived from the project's name and
// the environment, so several projects and environments share one account.
// Durable Object namespaces belong to the Worker that defines them, so
// distinct Worker names give each deployment its own RunDO, BudgetDO, StepHost
// and KvNamespaceDO namespaces too.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { WORKERS, type WorkerName } from "../stack/paths.ts";

export const DEFAULT_ENVIRONMENT = "production";

/** Cloudflare allows 63 characters in a Worker name; the longest suffix is `-orchestrator`. */
const MAX_PREFIX = 63 - "-orchestrator".length;

export interface DeployNames {
  project: string;
  environment: string;
  /** Where the project's name came from, as printed. */
  projectNameFrom: string;
  workers: Record<WorkerName, string>;
  database: string;
  queue: string;
  deadLetterQueue: string;
  /** The Hyperdrive config of a deployment that keeps its Store in Postgres (`--store-url`). */
  hyperdrive: string;
}

/** Lower case, `[a-z0-9-]` only, no leading or trailing dash; "" when nothing is left. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/^@[^/]*\//, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** The project's name: `name` in its package.json (a scope dropped), else the directory's name. */
export function projectName(projectDir: string): { name: string; from: string } {
  const manifest = path.join(projectDir, "package.json");
  if (existsSync(manifest)) {
    const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown };
    if (typeof name === "string" && slug(name) !== "") return { name: slug(name), from: `"name" in ${manifest}` };
  }
  return { name: slug(path.basename(projectDir)), from: `the directory name of ${projectDir}` };
}

/** The names for `projectDir` in `environment`; throws with the reason when they cannot be formed. */
export function deployNames(projectDir: string, environment: string): DeployNames {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(environment)) {
    throw new Error(`--environment ${JSON.stringify(environment)}: use lower-case letters, digits and dashes (e.g. staging, production)`);
  }
  const { name, from } = projectName(projectDir);
  if (name === "") throw new Error(`cannot derive a project name from ${from}: set "name" in the project's package.json`);
  const prefix = `${name}-${environment}`;
  if (prefix.length > MAX_PREFIX) {
    throw new Error(`"${prefix}" is too long for Cloudflare names (at most ${MAX_PREFIX} characters for <project>-<environment>)`);
  }
  return {
    project: name,
    environment,
    projectNameFrom: from,
    workers: Object.fromEntries(WORKERS.map((w) => [w, `${prefix}-${w}`])) as Record<WorkerName, string>,
    database: prefix,
    queue: `${prefix}-runs`,
    deadLetterQueue: `${prefix}-runs-dlq`,
    hyperdrive: `${prefix}-store`,
  };
}
