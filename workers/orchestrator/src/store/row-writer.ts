// Multi-row inserts for the Store's mirror, as plain SQL statements. A run's Durable Object
// mirrors every change, so these run on every commit: building them with drizzle's query
// builder cost more CPU than the rest of a transform step, while the statement text depends
// only on the table, the dialect and the row count. The text is generated from the drizzle
// schema (column names, and each column's own encoding of its value, e.g. JSON as text) and
// cached per row count. Both dialects take the same text but for their placeholders.

import { type Column, getTableColumns, getTableName, type Table } from "drizzle-orm";
import type { SqlStatement, SqlStyle } from "./sql-style.ts";

/** What happens to a row whose key exists: nothing, or these columns take the new row's values. */
export type OnConflict = { doNothing: true; returning?: readonly string[] } | { target: readonly string[]; update: readonly string[] };

/** Turns rows (keyed by the table's property names) into as few insert statements as the dialect allows. */
export type RowWriter<Row> = (rows: readonly Row[]) => SqlStatement[];

export function rowWriter<T extends Table, K extends keyof T["$inferInsert"] & string>(
  table: T,
  keys: readonly K[],
  onConflict: OnConflict,
  style: SqlStyle,
): RowWriter<Record<K, unknown>> {
  const byKey = getTableColumns(table) as Record<string, Column>;
  const columns = keys.map((key) => byKey[key]!);
  const quote = (name: string) => `"${name}"`;
  const columnName = (key: string) => quote(byKey[key]!.name);
  const head = `insert into ${quote(getTableName(table))} (${columns.map((c) => quote(c.name)).join(", ")}) values `;
  const tail =
    "doNothing" in onConflict
      ? ` on conflict do nothing${onConflict.returning ? ` returning ${onConflict.returning.map(columnName).join(", ")}` : ""}`
      : ` on conflict (${onConflict.target.map(columnName).join(", ")}) do update set ${onConflict.update
          .map((key) => `${columnName(key)} = excluded.${columnName(key)}`)
          .join(", ")}`;
  const rowsPerStatement = Math.floor(style.maxParameters / columns.length);
  const texts = new Map<number, string>();
  const textFor = (count: number): string => {
    let text = texts.get(count);
    if (text === undefined) {
      const tuples = Array.from({ length: count }, (_, row) => `(${columns.map((_, i) => style.placeholder(row * columns.length + i + 1)).join(", ")})`);
      text = head + tuples.join(", ") + tail;
      texts.set(count, text);
    }
    return text;
  };
  return (rows) => {
    const statements: SqlStatement[] = [];
    for (let start = 0; start < rows.length; start += rowsPerStatement) {
      const chunk = rows.slice(start, start + rowsPerStatement);
      const params: unknown[] = [];
      for (const row of chunk) {
        for (let i = 0; i < keys.length; i++) {
          const value = row[keys[i]!];
          // As drizzle binds them: null stays null, anything else is encoded by its column.
          params.push(value === null || value === undefined ? null : columns[i]!.mapToDriverValue(value));
        }
      }
      statements.push({ text: textFor(chunk.length), params });
    }
    return statements;
  };
}
