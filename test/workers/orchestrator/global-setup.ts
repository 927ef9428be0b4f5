import type { TestProject } from "vitest/node";
import { applyPostgresMigrations } from "../../../cli/src/stack/postgres-migrations.ts";
import { startHttpSink } from "../../support/http-sink.ts";
import { startPostgres } from "../../support/postgres.ts";

/**
 * A loopback webhook receiver for the whole run (tests read what it got at `<sinkUrl>/__calls`),
 * and a real Postgres, migrated, for the Store suite's Postgres half (store.test.ts) through
 * the POSTGRES_STORE Hyperdrive binding; and an empty database on it (POSTGRES_UNMIGRATED) for
 * readiness.test.ts.
 */
export default async function setup(project: TestProject) {
  const [sink, postgres] = await Promise.all([startHttpSink(), startPostgres()]);
  await applyPostgresMigrations(postgres.url);
  project.provide("sinkUrl", sink.url);
  project.provide("postgresUrl", postgres.url);
  project.provide("unmigratedPostgresUrl", await postgres.createDatabase("unmigrated"));
  return async () => {
    await Promise.all([sink.close(), postgres.stop()]);
  };
}
