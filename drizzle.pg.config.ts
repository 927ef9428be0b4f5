import { defineConfig } from "drizzle-kit";

// `npm run db:generate` also writes the Postgres migrations, applied by `ktsu start --store-url` and
// `ktsu deploy --store-url` (docs/deploy.md) to the database behind the Hyperdrive binding.
export default defineConfig({
  dialect: "postgresql",
  schema: "./workers/orchestrator/src/store/schema-pg.ts",
  out: "./migrations/postgres",
});
