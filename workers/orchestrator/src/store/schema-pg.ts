// The Postgres Store's tables, derived from the one schema (schema.ts, written for D1): same
// table, column and index names, same property keys, each column in Postgres's type for what
// it holds. drizzle-kit generates migrations/postgres/ from these (drizzle.pg.config.ts).

import { type Column, getTableColumns } from "drizzle-orm";
import { bigint, boolean, index, json, type PgColumnBuilderBase, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import * as d1 from "./schema.ts";
import type { StoreTables } from "./store-tables.ts";

/**
 * A Postgres column for a D1 one. SQLite integers are 64-bit, hence bigint (read as numbers);
 * JSON is `json`, not `jsonb`, which keeps values byte for byte, key order included, as D1 does.
 */
function postgresColumn(column: Column): PgColumnBuilderBase {
  const base = (() => {
    switch (column.columnType) {
      case "SQLiteText":
        return text(column.name);
      case "SQLiteTextJson":
        return json(column.name);
      case "SQLiteInteger":
        return bigint(column.name, { mode: "number" });
      case "SQLiteBoolean":
        return boolean(column.name);
      default:
        throw new Error(`schema-pg.ts has no Postgres type for ${column.columnType} (${column.name}): add one`);
    }
  })();
  const keyed = column.primary ? base.primaryKey() : column.notNull ? base.notNull() : base;
  return column.hasDefault && column.default !== undefined ? keyed.default(column.default as never) : keyed;
}

/** The Postgres table for a D1 table, with its primary keys and indexes, plus Postgres-only columns. */
function postgresTable(table: SQLiteTable, extraColumns: Record<string, PgColumnBuilderBase> = {}) {
  const columns = getTableColumns(table) as Record<string, Column>;
  const keyOf = new Map(Object.entries(columns).map(([key, column]) => [column.name, key]));
  const config = getTableConfig(table);
  const builders = Object.fromEntries(Object.entries(columns).map(([key, column]) => [key, postgresColumn(column)]));
  return pgTable(config.name, { ...builders, ...extraColumns }, (t) => {
    const ref = (column: Column) => (t as Record<string, never>)[keyOf.get(column.name)!]!;
    return [
      ...config.primaryKeys.map((pk) => primaryKey({ name: pk.getName(), columns: pk.columns.map(ref) as [never, ...never[]] })),
      ...config.indexes.map((ix) => {
        const [first, ...rest] = (ix.config.columns as Column[]).map(ref);
        return index(ix.config.name).on(first!, ...rest);
      }),
    ];
  });
}

export const runs = postgresTable(d1.runs, {
  // SQLite keeps insertion order as `rowid`; `GET /runs` lists runs created in the same millisecond newest first by it.
  insertionOrder: bigint("insertion_order", { mode: "number" }).generatedAlwaysAsIdentity(),
});
export const idempotencyKeys = postgresTable(d1.idempotencyKeys);
export const steps = postgresTable(d1.steps);
export const events = postgresTable(d1.events);
export const approvals = postgresTable(d1.approvals);

/**
 * The tables for the Store's queries, which are written against the D1 schema's types
 * (store-tables.ts): these are derived from it column for column, so rows read the same.
 */
export const postgresTables = { runs, idempotencyKeys, steps, events, approvals } as unknown as StoreTables;

/** The insertion order column, under its own type (StoreTables does not know it). */
export const runInsertionOrder = runs.insertionOrder as Column;
