// The wrangler configs of one deployment, written from the repository's
// templates (wrangler.toml, workers/<name>/wrangler.toml) with the names of
// the project and environment: Worker names, the service bindings between
// them, the D1 database, the queue and its dead-letter queue.

import path from "node:path";
import { WORKERS, type WorkerName, wranglerConfigPath } from "../stack/paths.ts";
import { portableConfig, type RawConfig, rawConfig, writeConfig } from "../stack/worker-config.ts";
import type { DeployNames } from "./names.ts";
import { hyperdriveBinding } from "./postgres-store.ts";

/** Shown where no database exists yet (a dry run before the first `--bootstrap`). */
export const UNCREATED_D1_ID = "00000000-0000-0000-0000-000000000000";

export interface DeployConfig {
  worker: WorkerName;
  config: RawConfig;
}

/**
 * The four configs for `names`, in memory. `databaseId` is the D1 id recorded by `--bootstrap`;
 * with `hyperdriveId` the orchestrator keeps its Store in Postgres through that Hyperdrive config.
 */
export async function deployConfigs(names: DeployNames, databaseId: string, projectBundle: string, hyperdriveId?: string): Promise<DeployConfig[]> {
  const templates = await Promise.all(WORKERS.map(async (worker) => ({ worker, config: await rawConfig(worker) })));
  // The templates' Worker names, as their service bindings spell them.
  const renamed = new Map(templates.map(({ worker, config }) => [config.name ?? `ktsu-${worker}`, names.workers[worker]]));
  return templates.map(({ worker, config: template }) => {
    const config = portableConfig(template, path.dirname(wranglerConfigPath(worker)));
    config.name = names.workers[worker];
    if (config.alias?.["ktsu-project"]) config.alias["ktsu-project"] = projectBundle;
    for (const service of config.services ?? []) service.service = renamed.get(service.service) ?? service.service;
    if (worker === "orchestrator" && hyperdriveId) config.hyperdrive = [hyperdriveBinding(hyperdriveId)];
    for (const db of config.d1_databases ?? []) {
      db.database_name = names.database;
      db.database_id = databaseId;
    }
    for (const producer of config.queues?.producers ?? []) producer.queue = names.queue;
    for (const consumer of config.queues?.consumers ?? []) {
      consumer.queue = names.queue;
      consumer.dead_letter_queue = names.deadLetterQueue;
    }
    return { worker, config };
  });
}

/**
 * The bootstrap pass's copy: no service bindings. The Workers bind each other
 * in a cycle, and Cloudflare refuses a binding to a Worker that does not exist yet.
 */
export function withoutServices(config: RawConfig): RawConfig {
  const copy = structuredClone(config);
  delete copy.services;
  return copy;
}

/** Writes each config as `<dir>/wrangler.<worker>.json`. */
export async function writeConfigs(configs: DeployConfig[], dir: string): Promise<Record<WorkerName, string>> {
  const files = await Promise.all(configs.map(({ worker, config }) => writeConfig(worker, config, dir)));
  return Object.fromEntries(configs.map(({ worker }, i) => [worker, files[i]!])) as Record<WorkerName, string>;
}
