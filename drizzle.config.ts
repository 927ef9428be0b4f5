import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations that wrangler (and `ktsu start`) apply to D1.
export default defineConfig({
  dialect: "sqlite",
  schema: "./workers/orchestrator/src/store/schema.ts",
  out: "./migrations",
});
