// `ktsu-deploy.json` in the user's project: what `ktsu deploy --bootstrap`
// created for each environment (the D1 database's id, the queues' names), so
// later deploys (and CI) find them. It holds ids, never secrets: commit it.

import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";

export const STATE_FILE = "ktsu-deploy.json";

export interface EnvironmentState {
  d1: { name: string; id: string };
  queues: { runs: string; dead_letter: string };
  workers: Record<string, string>;
  /** Set once the environment keeps its Store in Postgres: the Hyperdrive config (never the connection string). */
  hyperdrive?: { name: string; id: string };
}

export interface DeployState {
  environments: Record<string, EnvironmentState>;
}

export function stateFile(projectDir: string): string {
  return path.join(projectDir, STATE_FILE);
}

export function readState(projectDir: string): DeployState {
  const file = stateFile(projectDir);
  if (!existsSync(file)) return { environments: {} };
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<DeployState>;
  return { environments: parsed.environments ?? {} };
}

/** Records one environment, keeping the others as they are. */
export async function recordEnvironment(projectDir: string, environment: string, entry: EnvironmentState): Promise<void> {
  const state = readState(projectDir);
  state.environments[environment] = entry;
  const sorted = Object.fromEntries(Object.entries(state.environments).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(stateFile(projectDir), `${JSON.stringify({ environments: sorted }, null, 2)}\n`);
}
