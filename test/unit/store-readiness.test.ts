// The orchestrator's readiness check names the newest migration: it must be the newest file in migrations/.
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../../cli/src/stack/migrations.ts";
import { LATEST_MIGRATION } from "../../workers/orchestrator/src/store/readiness.ts";

describe("LATEST_MIGRATION", () => {
  it("is the newest SQL file in migrations/", async () => {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort();
    expect(LATEST_MIGRATION).toBe(files.at(-1));
  });
});
