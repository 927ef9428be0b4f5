// The orchestrator's readiness check names the newest migration of each dialect: it must be the newest file there.
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../../cli/src/stack/migrations.ts";
import { POSTGRES_MIGRATIONS_DIR } from "../../cli/src/stack/postgres-migrations.ts";
import { LATEST_MIGRATION, LATEST_POSTGRES_MIGRATION } from "../../workers/orchestrator/src/store/readiness.ts";

async function newest(dir: string): Promise<string | undefined> {
  return (await readdir(dir))
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .at(-1);
}

describe("the newest migrations", () => {
  it("LATEST_MIGRATION is the newest SQL file in migrations/ (D1)", async () => {
    expect(LATEST_MIGRATION).toBe(await newest(MIGRATIONS_DIR));
  });

  it("LATEST_POSTGRES_MIGRATION is the newest SQL file in migrations/postgres/", async () => {
    expect(LATEST_POSTGRES_MIGRATION).toBe(await newest(POSTGRES_MIGRATIONS_DIR));
  });
});
