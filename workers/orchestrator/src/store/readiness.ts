/**
 * The newest file in migrations/ (D1) and migrations/postgres/: the Store is ready once it is
 * recorded as applied. A unit test (test/unit/store-readiness.test.ts) keeps them equal to the
 * newest files there.
 */
export const LATEST_MIGRATION = "0004_traces.sql";
export const LATEST_POSTGRES_MIGRATION = "0002_traces.sql";

/**
 * Where applied migrations are recorded: D1 in `d1_migrations`, the table both `wrangler d1
 * migrations apply` and `ktsu start` keep; Postgres in a table of the same shape that `ktsu start
 * --store-url` and `ktsu deploy --store-url` keep (cli/src/stack/postgres-migrations.ts).
 */
export const MIGRATIONS_TABLE = { d1: "d1_migrations", postgres: "ktsu_migrations" } as const;

/** ok: migrated and answering; not_migrated: the newest migration is not applied; down: the database did not answer a query. */
export type StoreReadiness = "ok" | "not_migrated" | "down";

/**
 * Whether the Store can serve, from one read of the migrations table: `found` looks the newest
 * migration up. Before any migration the table itself is missing, which each database says in
 * its own words ("no such table", "relation … does not exist").
 */
export async function readiness(found: () => Promise<boolean>): Promise<StoreReadiness> {
  try {
    return (await found()) ? "ok" : "not_migrated";
  } catch (err) {
    return /no such table|does not exist/i.test(String(err)) ? "not_migrated" : "down";
  }
}
