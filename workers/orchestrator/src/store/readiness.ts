/**
 * The newest file in migrations/: the Store is ready once it is recorded as applied.
 * A unit test (test/unit/store-readiness.test.ts) keeps it equal to the newest file there.
 */
export const LATEST_MIGRATION = "0003_retention_indexes.sql";

/** ok: migrated and answering; not_migrated: the newest migration is not applied; down: D1 did not answer a query. */
export type StoreReadiness = "ok" | "not_migrated" | "down";

/** The part of a D1 binding this reads (unit tests import LATEST_MIGRATION outside workerd). */
interface D1Reader {
  prepare(sql: string): { bind(...values: unknown[]): { first<T>(): Promise<T | null> } };
}

/**
 * Whether the Store can serve: one read of `d1_migrations`, the table both `wrangler d1
 * migrations apply` and `ktsu start` record applied migrations in.
 */
export async function storeReadiness(db: D1Reader): Promise<StoreReadiness> {
  try {
    const row = await db.prepare("SELECT name FROM d1_migrations WHERE name = ?").bind(LATEST_MIGRATION).first<{ name: string }>();
    return row ? "ok" : "not_migrated";
  } catch (err) {
    // Before any migration the table itself is missing.
    return /no such table/i.test(String(err)) ? "not_migrated" : "down";
  }
}
