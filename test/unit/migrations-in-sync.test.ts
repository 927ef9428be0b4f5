// The committed migrations of both dialects match the schema: drizzle-kit, run on a copy of each
// migrations folder, finds nothing to generate. A schema change without `npm run db:generate`
// fails here, not at a deploy.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../../cli/src/stack/migrations.ts";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { POSTGRES_MIGRATIONS_DIR } from "../../cli/src/stack/postgres-migrations.ts";

const run = promisify(execFile);
/** drizzle-kit's package exports no package.json, so its bin is found by path. */
const DRIZZLE_KIT = path.join(REPO_ROOT, "node_modules", "drizzle-kit", "bin.cjs");
const work: string[] = [];

afterAll(async () => {
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

/** `drizzle-kit generate` for `schema` into a copy of `migrations`; returns the SQL files it added and what it said. */
async function generate(dialect: string, schema: string, migrations: string): Promise<{ added: string[]; said: string }> {
  const copy = await mkdtemp(path.join(tmpdir(), "ktsu-migrations-"));
  work.push(copy);
  for (const entry of await readdir(migrations, { withFileTypes: true })) {
    if (entry.name === "meta" || entry.name.endsWith(".sql")) await cp(path.join(migrations, entry.name), path.join(copy, entry.name), { recursive: true });
  }
  const before = new Set(await readdir(copy));
  // drizzle-kit takes --out relative to the working directory.
  const { stdout, stderr } = await run(
    process.execPath,
    [DRIZZLE_KIT, "generate", "--dialect", dialect, "--schema", schema, "--out", path.relative(REPO_ROOT, copy)],
    {
      cwd: REPO_ROOT,
    },
  );
  return { added: (await readdir(copy)).filter((f) => !before.has(f)), said: `${stdout}${stderr}` };
}

describe("the committed migrations match the schema", () => {
  it("D1: migrations/ from schema.ts", async () => {
    const { added, said } = await generate("sqlite", "./workers/orchestrator/src/store/schema.ts", MIGRATIONS_DIR);
    expect(added, said).toEqual([]);
    expect(said).toContain("No schema changes");
  });

  it("Postgres: migrations/postgres/ from schema-pg.ts (derived from schema.ts)", async () => {
    const { added, said } = await generate("postgresql", "./workers/orchestrator/src/store/schema-pg.ts", POSTGRES_MIGRATIONS_DIR);
    expect(added, said).toEqual([]);
    expect(said).toContain("No schema changes");
  });
});
