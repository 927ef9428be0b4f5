// Losing a Durable Object alarm on purpose, to test the cron sweep: with the stack
// stopped, the alarm is deleted from workerd's local storage (the object's own
// `_cf_METADATA` row 1, and the namespace's `_cf_ALARM` table in metadata.sqlite).
import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

export function runObjectDir(stateDir: string): string {
  return path.join(stateDir, "state", "do", "ktsu-orchestrator-RunDO");
}

/** The SQLite file of the run's Durable Object (found by the run id in its `meta`). */
export function runObjectFile(stateDir: string, runId: string): string {
  const dir = runObjectDir(stateDir);
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".sqlite") && n !== "metadata.sqlite")) {
    const db = new DatabaseSync(path.join(dir, name));
    try {
      const row = db.prepare("SELECT value FROM _cf_KV WHERE key = 'meta'").get() as { value: Uint8Array } | undefined;
      if (row && Buffer.from(row.value).includes(Buffer.from(runId))) return path.join(dir, name);
    } finally {
      db.close();
    }
  }
  throw new Error(`no Durable Object file holds run ${runId}`);
}

/** Whether the run's object has an alarm, in each of the two places workerd keeps it. */
export function readAlarm(stateDir: string, runId: string): { object: boolean; scheduler: boolean } {
  const file = runObjectFile(stateDir, runId);
  const actor = path.basename(file, ".sqlite");
  const db = new DatabaseSync(file);
  const meta = new DatabaseSync(path.join(runObjectDir(stateDir), "metadata.sqlite"));
  try {
    return {
      object: (db.prepare("SELECT count(*) AS n FROM _cf_METADATA WHERE key = 1 AND value IS NOT NULL").get() as { n: number }).n > 0,
      scheduler: (meta.prepare("SELECT count(*) AS n FROM _cf_ALARM WHERE actor_id = ?").get(actor) as { n: number }).n > 0,
    };
  } finally {
    db.close();
    meta.close();
  }
}

export function dropAlarm(stateDir: string, runId: string): void {
  const file = runObjectFile(stateDir, runId);
  const actor = path.basename(file, ".sqlite");
  const db = new DatabaseSync(file);
  const meta = new DatabaseSync(path.join(runObjectDir(stateDir), "metadata.sqlite"));
  try {
    db.prepare("UPDATE _cf_METADATA SET value = NULL WHERE key = 1").run();
    meta.prepare("DELETE FROM _cf_ALARM WHERE actor_id = ?").run(actor);
  } finally {
    db.close();
    meta.close();
  }
}
