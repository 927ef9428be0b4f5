import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "./paths.ts";

/** The subset of the D1 binding this needs (Miniflare hands back a proxy of the real binding). */
interface D1Like {
  prepare(sql: string): { bind(...values: unknown[]): unknown; all<T>(): Promise<{ results: T[] }> };
  batch(statements: unknown[]): Promise<unknown>;
}

export const MIGRATIONS_DIR = path.join(REPO_ROOT, "migrations");

/**
 * Applies pending SQL migrations, recording them in `d1_migrations` — the same
 * table `wrangler d1 migrations apply` keeps, so both tools agree on what ran.
 */
export async function applyMigrations(db: D1Like, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.batch([
    db.prepare(
      "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    ),
  ]);
  const { results } = await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>();
  const pending = await pendingMigrations(
    dir,
    results.map((r) => r.name),
  );
  if (pending.length === 0) return [];
  // wrangler takes over a second to import: loaded only when there is SQL to split, not with the CLI.
  const { unstable_splitSqlQuery: splitSqlQuery } = await import("wrangler");
  for (const { file, text } of pending) {
    const statements = splitSqlQuery(text);
    await db.batch([...statements.map((sql) => db.prepare(sql)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(file)]);
  }
  return pending.map((m) => m.file);
}

/** The SQL files of `dir` not among `applied`, in order, with their text. */
export async function pendingMigrations(dir: string, applied: Iterable<string>): Promise<Array<{ file: string; text: string }>> {
  const done = new Set(applied);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql") && !done.has(f)).sort();
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(path.join(dir, file), "utf8") })));
}
