// Reading whole rows of a table the way drizzle's `select().from(table)` does (every
// column in the schema's order, each value decoded by its column, null kept), from a
// plain statement. The run view is polled while a run works; building the query and
// mapping its rows through drizzle cost more than the read itself.

import { type Column, getTableColumns, getTableName, type Table } from "drizzle-orm";

export interface RowReader<Row> {
  /** `select <every column> from <table>`, to which the caller adds its clauses. */
  readonly select: string;
  /** One row of raw results (values in `select` order) as drizzle would return it. */
  read(values: readonly unknown[]): Row;
  /** The same, from a row keyed by column name. */
  readNamed(row: Readonly<Record<string, unknown>>): Row;
}

/** `Row` is the row type the Store works with (the D1 schema's; the Postgres one agrees: store-tables.ts). */
export function rowReader<Row>(table: Table): RowReader<Row> {
  const columns = Object.entries(getTableColumns(table) as Record<string, Column>);
  const decode = (column: Column, value: unknown) => (value === null || value === undefined ? null : column.mapFromDriverValue(value));
  return {
    select: `select ${columns.map(([, column]) => `"${column.name}"`).join(", ")} from "${getTableName(table)}"`,
    read(values) {
      const row: Record<string, unknown> = {};
      columns.forEach(([key, column], i) => {
        row[key] = decode(column, values[i]);
      });
      return row as Row;
    },
    readNamed(named) {
      const row: Record<string, unknown> = {};
      for (const [key, column] of columns) row[key] = decode(column, named[column.name]);
      return row as Row;
    },
  };
}
