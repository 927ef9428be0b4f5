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
  const insertInto = `insert into ${quote(getTableName(table))} (${columns.map((c) => quote(c.name)).join(", ")})`;
  const head = `${insertInto} values `;
  const tail =
    "doNothing" in onConflict
      ? ` on conflict do nothing${onConflict.returning ? ` returning ${onConflict.returning.map(columnName).join(", ")}` : ""}`
      : ` on conflict (${onConflict.target.map(columnName).join(", ")}) do update set ${onConflict.update
          .map((key) => `${columnName(key)} = excluded.${columnName(key)}`)
          .join(", ")}`;
  /** A row's values as bound: null stays null, anything else encoded by its column (as drizzle binds them). */
  const encode = (row: Record<K, unknown>): unknown[] =>
    keys.map((key, i) => {
      const value = row[key];
      return value === null || value === undefined ? null : columns[i]!.mapToDriverValue(value);
    });
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
  const bound = (row: Record<K, unknown>): SqlStatement => ({ text: textFor(1), params: encode(row) });
  const asJson = style.jsonRowsMaxChars !== undefined ? jsonRowsWriter(insertInto, tail, columns.length, style, encode, bound) : undefined;
  return (rows) => {
    // Rows that fit one statement's parameters are bound as they are: JSON only saves statements.
    if (asJson && rows.length > rowsPerStatement) return asJson(rows);
    const statements: SqlStatement[] = [];
    for (let start = 0; start < rows.length; start += rowsPerStatement) {
      const chunk = rows.slice(start, start + rowsPerStatement);
      statements.push({ text: textFor(chunk.length), params: chunk.flatMap(encode) });
    }
    return statements;
  };
}

/**
 * SQLite (D1): the rows as one JSON array bound to one parameter, each row an array of its
 * values, spread back into columns by `json_each` (`value ->> i` gives the i-th value as SQL
 * text, integer, real or null: JSON columns are bound as text already). A new statement starts
 * before the array would pass `style.jsonRowsMaxChars` characters. A row longer than that alone
 * is bound as it is (`bound`), in a statement of its own: inside the array its JSON columns would be
 * escaped once more and could pass D1's value limit where the row itself does not. `where true`
 * lets SQLite's parser tell the upsert's `on conflict` from a join.
 */
function jsonRowsWriter<Row>(
  insertInto: string,
  tail: string,
  width: number,
  style: SqlStyle,
  encode: (row: Row) => unknown[],
  bound: (row: Row) => SqlStatement,
): RowWriter<Row> {
  const select = Array.from({ length: width }, (_, i) => `value ->> ${i}`).join(", ");
  const text = `${insertInto} select ${select} from json_each(${style.placeholder(1)}) where true${tail}`;
  const limit = style.jsonRowsMaxChars!;
  return (rows) => {
    const statements: SqlStatement[] = [];
    let chunk: string[] = [];
    let length = 2; // the array's brackets
    const flush = () => {
      if (chunk.length > 0) statements.push({ text, params: [`[${chunk.join(",")}]`] });
      chunk = [];
      length = 2;
    };
    for (const row of rows) {
      const json = JSON.stringify(encode(row));
      if (json.length + 2 > limit) {
        statements.push(bound(row));
        continue;
      }
      if (chunk.length > 0 && length + json.length + 1 > limit) flush();
      chunk.push(json);
      length += json.length + 1;
    }
    flush();
    return statements;
  };
}
