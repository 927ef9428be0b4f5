// Values the workerd test projects' globalSetup files provide to tests (`inject(...)`).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** test/workers/orchestrator: the loopback webhook receiver. */
    sinkUrl: string;
    /** test/workers/orchestrator: the connection string of the test Postgres (test/support/postgres.ts). */
    postgresUrl: string;
    /** test/workers/orchestrator: an empty database on the same server, never migrated. */
    unmigratedPostgresUrl: string;
    /** The fake LLM provider (test/fake-provider). */
    fakeProviderUrl: string;
  }
}
