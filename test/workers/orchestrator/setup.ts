import { applyD1Migrations, env } from "cloudflare:test";

// The same SQL files `ktsu start` and `wrangler d1 migrations apply` use.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
