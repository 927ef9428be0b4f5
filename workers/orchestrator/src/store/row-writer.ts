// Multi-row inserts for the D1 mirror, written as plain D1 statements. A run's
// Durable Object mirrors every change, so these run on every commit: building
// them with drizzle's query builder cost more CPU than the rest of a transform
// step, while the statement text depends only on the table and the row count.
// The text is generated from the drizzle schema (column names, and each column's
// own encoding of its value, e.g. JSON columns as text) and cached per row count.

import { getTableName } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";

/** D1 binds at most 100 parameters per statement. */
const MAX_PARAMETERS = 100;

/** What happens to a row whose key exists: nothing, or these columns take the new row's values. */
export type OnConflict = { doNothing: true } | { target: readonly string[]; update: readonly string[] };

/** Turns rows (keyed by the table's property names) into as few insert statements as D1 allows. */
export type RowWriter<Row> = (d1: D1Database, rows: readonly Row[]) => D1PreparedStatement[];

export function rowWriter<T extends SQLiteTable, K extends keyof T["$inferInsert"] & string>(
  table: T,
  keys: readonly K[],
  onConflict: OnConflict,
): RowWriter<Record<K, unknown>> {
  const columns = keys.map((key) => (table as unknown as Record<string, SQLiteColumn>)[key]!);
  const quote = (name: string) => `"${name}"`;
  const columnName = (key: string) => quote((table as unknown as Record<string, SQLiteColumn>)[key]!.name);
  const head = `insert into ${quote(getTableName(table))} (${columns.map((c) => quote(c.name)).join(", ")}) values `;
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const tail =
    "doNothing" in onConflict
      ? " on conflict do nothing"
      : ` on conflict (${onConflict.target.map(columnName).join(", ")}) do update set ${onConflict.update
          .map((key) => `${columnName(key)} = excluded.${columnName(key)}`)
          .join(", ")}`;
  const rowsPerStatement = Math.floor(MAX_PARAMETERS / columns.length);
  const texts = new Map<number, string>();
  const textFor = (count: number): string => {
    let text = texts.get(count);
    if (text === undefined) {
      text = head + Array.from({ length: count }, () => tuple).join(", ") + tail;
      texts.set(count, text);
    }
    return text;
  };
  return (d1, rows) => {
    const statements: D1PreparedStatement[] = [];
    for (let start = 0; start < rows.length; start += rowsPerStatement) {
      const chunk = rows.slice(start, start + rowsPerStatement);
      const values: unknown[] = [];
      for (const row of chunk) {
        for (let i = 0; i < keys.length; i++) {
          const value = row[keys[i]!];
          // As drizzle binds them: null stays null, anything else is encoded by its column.
          values.push(value === null || value === undefined ? null : columns[i]!.mapToDriverValue(value));
        }
      }
      statements.push(d1.prepare(textFor(chunk.length)).bind(...values));
    }
    return statements;
  };
}
