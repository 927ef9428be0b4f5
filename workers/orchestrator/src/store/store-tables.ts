// The Store's queries are written once, against drizzle's query builder and the D1 schema's
// types; at run time each dialect's driver hands them its own database and tables. Both
// query builders take the same calls (select/insert/update/delete with where, orderBy, limit,
// onConflict…, returning), and the Postgres tables are derived from the D1 ones column for
// column (schema-pg.ts), so a query that typechecks against D1 reads and writes the same values
// on Postgres. The Store suite runs on both to catch a call only one dialect has.

import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as d1 from "./schema.ts";

/**
 * The tables every dialect provides, typed as the D1 schema's. A new table: declare it in
 * schema.ts, derive its Postgres twin in schema-pg.ts (one line), list it here and in
 * `postgresTables`, then `npm run db:generate` writes both dialects' migrations.
 */
export interface StoreTables {
  runs: typeof d1.runs;
  steps: typeof d1.steps;
  events: typeof d1.events;
  approvals: typeof d1.approvals;
  idempotencyKeys: typeof d1.idempotencyKeys;
}

/** The query builder, without the SQLite-only entry points (batch, run, all, get, values). */
export type StoreDb = Pick<BaseSQLiteDatabase<"async", unknown>, "select" | "insert" | "update" | "delete">;
