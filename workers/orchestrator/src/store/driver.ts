import type { SQL } from "drizzle-orm";
import type { StoreReadiness } from "./readiness.ts";
import type { SqlStatement } from "./sql-style.ts";
import type { MirrorStatements } from "./mirror-statements.ts";
import type { StoreDb, StoreTables } from "./store-tables.ts";

/**
 * What the Store needs from a database: drizzle's query builder over that dialect's tables,
 * the mirror's prepared statement texts, and the few operations the dialects spell differently.
 * One per dialect: d1-driver.ts (the default) and postgres-driver.ts (through Hyperdrive).
 */
export interface StoreDriver {
  /** Named in messages: "D1" or "Postgres". */
  readonly name: string;
  readonly db: StoreDb;
  readonly tables: StoreTables;
  readonly statements: MirrorStatements;
  /** Orders runs by insertion, the tiebreak of runs created in the same millisecond. */
  readonly runInsertionOrder: SQL;
  /** Runs the statements together: all or none. */
  batch(statements: readonly SqlStatement[]): Promise<void>;
  /** The rows of a read, each as its values in select order. */
  rows(statement: SqlStatement): Promise<unknown[][]>;
  /** The rows of several reads sent together (one round trip to D1), each row keyed by column name. */
  namedRowsOfEach(statements: readonly SqlStatement[]): Promise<Record<string, unknown>[][]>;
  readiness(): Promise<StoreReadiness>;
}
