import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { StoreDriver } from "./driver.ts";
import { mirrorStatements } from "./mirror-statements.ts";
import { LATEST_MIGRATION, MIGRATIONS_TABLE, readiness } from "./readiness.ts";
import * as schema from "./schema.ts";
import type { SqlStatement } from "./sql-style.ts";

/**
 * D1 binds at most 100 parameters per statement, so rows that need more go as one JSON parameter
 * (row-writer.ts). D1 caps a value at 2,000,000 bytes: 600,000 characters stay under it even if
 * every one took three bytes.
 */
const STATEMENTS = mirrorStatements(schema, { placeholder: () => "?", maxParameters: 100, jsonRowsMaxChars: 600_000 });

/** The default Store database: the Worker's D1 binding. */
export function d1Driver(d1: D1Database): StoreDriver {
  const prepare = (s: SqlStatement) => d1.prepare(s.text).bind(...s.params);
  return {
    name: "D1",
    db: drizzle(d1),
    tables: schema,
    statements: STATEMENTS,
    runInsertionOrder: sql`rowid`,
    async batch(statements) {
      if (statements.length > 0) await d1.batch(statements.map(prepare));
    },
    rows: (statement) => prepare(statement).raw(),
    async namedRowsOfEach(statements) {
      if (statements.length === 0) return [];
      const results = await d1.batch<Record<string, unknown>>(statements.map(prepare));
      return results.map((result) => result.results);
    },
    readiness: () =>
      readiness(async () => (await d1.prepare(`SELECT name FROM ${MIGRATIONS_TABLE.d1} WHERE name = ?`).bind(LATEST_MIGRATION).first()) !== null),
  };
}
