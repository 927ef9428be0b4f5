// `ktsu deploy --bootstrap`'s account-level resources: the D1 database, the
// run queue and its dead-letter queue, each created only when missing, and the
// D1 migrations applied remotely before any Worker that reads the tables is uploaded.

import type { DeployNames } from "./names.ts";
import { wrangler, wranglerOk } from "./wrangler-cli.ts";

export interface CreatedResources {
  databaseId: string;
  /** What was created now (the rest already existed). */
  created: string[];
}

async function databaseId(name: string): Promise<string | undefined> {
  const { stdout } = await wranglerOk(["d1", "list", "--json"]);
  const list = JSON.parse(stdout.slice(stdout.indexOf("["))) as { name: string; uuid: string }[];
  return list.find((db) => db.name === name)?.uuid;
}

async function queueExists(name: string): Promise<boolean> {
  const { code, stdout } = await wrangler(["queues", "info", name]);
  return code === 0 && stdout.includes(`Queue Name: ${name}`);
}

/** Creates what is missing of `names`' database and queues; returns the database's id. */
export async function ensureResources(names: DeployNames, say: (text: string) => void): Promise<CreatedResources> {
  const created: string[] = [];
  let id = await databaseId(names.database);
  if (id === undefined) {
    await wranglerOk(["d1", "create", names.database, "--no-update-config"]);
    id = await databaseId(names.database);
    if (id === undefined) throw new Error(`wrangler d1 create ${names.database} succeeded but the database is not in wrangler d1 list`);
    created.push(`D1 database ${names.database}`);
  }
  say(`D1 database ${names.database}: ${id}${created.length > 0 ? " (created)" : " (exists)"}`);
  for (const queue of [names.queue, names.deadLetterQueue]) {
    if (await queueExists(queue)) {
      say(`queue ${queue} (exists)`);
      continue;
    }
    await wranglerOk(["queues", "create", queue]);
    created.push(`queue ${queue}`);
    say(`queue ${queue} (created)`);
  }
  return { databaseId: id, created };
}

/** `wrangler d1 migrations apply DB --remote` with the deployment's orchestrator config. */
export async function applyRemoteMigrations(orchestratorConfig: string): Promise<void> {
  await wranglerOk(["d1", "migrations", "apply", "DB", "--remote", "-c", orchestratorConfig], { echo: true });
}
