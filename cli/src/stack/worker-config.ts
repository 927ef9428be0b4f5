// A Worker's wrangler config as data, and copies of it written elsewhere: the
// copy keeps working from another directory (relative paths made absolute) and
// leaves out the top-level config's custom build, which only a plain
// `wrangler deploy` at the repository root should run.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type WorkerName, wranglerConfigPath } from "./paths.ts";

export type RawConfig = Record<string, unknown> & {
  name?: string;
  main?: string;
  alias?: Record<string, string>;
  d1_databases?: { binding?: string; database_name?: string; database_id?: string; migrations_dir?: string }[];
  queues?: {
    producers?: { binding?: string; queue: string }[];
    consumers?: { queue: string; dead_letter_queue?: string }[];
  };
  services?: { binding: string; service: string; entrypoint?: string }[];
  hyperdrive?: { binding: string; id: string }[];
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string }[] };
  assets?: { directory?: string };
  site?: { bucket?: string };
  build?: { command?: string; cwd?: string; watch_dir?: string | string[] };
  tsconfig?: string;
  base_dir?: string;
};

/** The wrangler config of a Worker as written (parsed by wrangler itself). */
export async function rawConfig(worker: WorkerName): Promise<RawConfig> {
  const { experimental_readRawConfig } = await import("wrangler");
  return structuredClone(experimental_readRawConfig({ config: wranglerConfigPath(worker) }).rawConfig) as RawConfig;
}

/** `config` with its relative paths resolved against `base` and without `$schema` and `build`. */
export function portableConfig(config: RawConfig, base: string): RawConfig {
  const copy = structuredClone(config);
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));
  delete copy.$schema;
  delete copy.build;
  if (copy.main) copy.main = abs(copy.main);
  if (copy.tsconfig) copy.tsconfig = abs(copy.tsconfig);
  if (copy.base_dir) copy.base_dir = abs(copy.base_dir);
  if (copy.alias) copy.alias = Object.fromEntries(Object.entries(copy.alias).map(([k, v]) => [k, v.startsWith(".") ? abs(v) : v]));
  for (const db of copy.d1_databases ?? []) if (db.migrations_dir) db.migrations_dir = abs(db.migrations_dir);
  if (copy.assets?.directory) copy.assets.directory = abs(copy.assets.directory);
  if (copy.site?.bucket) copy.site.bucket = abs(copy.site.bucket);
  return copy;
}

/** Writes `config` as `<dir>/wrangler.<worker>.json` and returns the file. */
export async function writeConfig(worker: WorkerName, config: RawConfig, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `wrangler.${worker}.json`);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/**
 * The config to bundle a Worker with: its own file, or, when that file has a
 * custom build (the top-level wrangler.toml), a portable copy without it in `dir`.
 */
export async function bundlingConfigPath(worker: WorkerName, dir: string): Promise<string> {
  const config = await rawConfig(worker);
  if (!config.build) return wranglerConfigPath(worker);
  return writeConfig(worker, portableConfig(config, path.dirname(wranglerConfigPath(worker))), dir);
}
