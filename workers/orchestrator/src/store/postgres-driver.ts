import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { StoreDriver } from "./driver.ts";
import { mirrorStatements } from "./mirror-statements.ts";
import { LATEST_POSTGRES_MIGRATION, MIGRATIONS_TABLE, readiness } from "./readiness.ts";
import { postgresTables, runInsertionOrder } from "./schema-pg.ts";
import type { SqlStatement } from "./sql-style.ts";
import type { StoreDb } from "./store-tables.ts";

/** The values as postgres.js takes them: already encoded by their columns (row-writer.ts). */
const params = (statement: SqlStatement) => statement.params as postgres.ParameterOrJSON<never>[];

/** Postgres's protocol caps a statement's parameters at 65535. */
const STATEMENTS = mirrorStatements(postgresTables, { placeholder: (n) => `$${n}`, maxParameters: 65_535 });

/**
 * The Store in Postgres, reached through a Hyperdrive binding (its connection string points at
 * Hyperdrive's pool; locally, Miniflare's proxy to the database `--store-url` names), with
 * postgres.js: Cloudflare's Hyperdrive docs list it, it has a build for workerd's sockets and
 * no dependencies. One client per Store: Hyperdrive keeps the pool, so connecting is cheap.
 */
export function postgresDriver(connectionString: string): StoreDriver {
  const client = postgres(connectionString, {
    // Workers allow six open connections per request; Cloudflare's Hyperdrive examples use 5.
    max: 5,
    // The Store uses no array types: skip the type lookup a new connection would make first.
    fetch_types: false,
    onnotice: () => {},
  });
  return {
    name: "Postgres",
    // Postgres's query builder, typed as the one the Store's queries are written against (store-tables.ts).
    db: drizzle(client) as unknown as StoreDb,
    tables: postgresTables,
    statements: STATEMENTS,
    runInsertionOrder: sql`${runInsertionOrder}`,
    async batch(statements) {
      if (statements.length === 1) await client.unsafe(statements[0]!.text, params(statements[0]!));
      // One transaction; the statements are sent together rather than each after the last's answer.
      else if (statements.length > 1) await client.begin((tx) => statements.map((s) => tx.unsafe(s.text, params(s))));
    },
    async rows(statement) {
      return (await client.unsafe(statement.text, params(statement)).values()) as unknown[][];
    },
    // postgres.js pipelines the queries on one connection: they are sent before the first answer.
    namedRowsOfEach: (statements) =>
      Promise.all(statements.map(async (statement) => [...(await client.unsafe(statement.text, params(statement)))] as Record<string, unknown>[])),
    readiness: () =>
      readiness(async () => (await client.unsafe(`SELECT name FROM ${MIGRATIONS_TABLE.postgres} WHERE name = $1`, [LATEST_POSTGRES_MIGRATION])).length > 0),
  };
}
