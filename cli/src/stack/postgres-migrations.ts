import path from "node:path";
import postgres from "postgres";
import { MIGRATIONS_TABLE } from "../../../workers/orchestrator/src/store/readiness.ts";
import { MIGRATIONS_DIR, pendingMigrations } from "./migrations.ts";

export const POSTGRES_MIGRATIONS_DIR = path.join(MIGRATIONS_DIR, "postgres");

/** Any number: it only has to be the same for every ktsu that migrates this database. */
const MIGRATION_LOCK = 0x6b747375;

/**
 * Applies pending Postgres migrations (drizzle-kit's, from schema-pg.ts) to the database a
 * connection string names, each in a transaction with its record in `ktsu_migrations`, the
 * table the orchestrator's readiness check reads. An advisory lock keeps two ktsu processes
 * from applying the same file at once. Returns the files applied.
 */
export async function applyPostgresMigrations(connectionString: string, dir = POSTGRES_MIGRATIONS_DIR): Promise<string[]> {
  const sql = postgres(connectionString, { max: 1, onnotice: () => {} });
  try {
    return await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx.unsafe(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE.postgres} (id serial PRIMARY KEY, name text UNIQUE NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const applied = await tx.unsafe<{ name: string }[]>(`SELECT name FROM ${MIGRATIONS_TABLE.postgres}`);
      const pending = await pendingMigrations(
        dir,
        applied.map((r) => r.name),
      );
      for (const { file, text } of pending) {
        // No parameters: the file's statements go as one simple query.
        await tx.unsafe(text);
        await tx.unsafe(`INSERT INTO ${MIGRATIONS_TABLE.postgres} (name) VALUES ($1)`, [file]);
      }
      return pending.map((m) => m.file);
    });
  } finally {
    await sql.end();
  }
}
