import type { OrchestratorEnv } from "../env.ts";
import { d1Driver } from "./d1-driver.ts";
import { postgresDriver } from "./postgres-driver.ts";
import { Store } from "./store.ts";

/** The Store a deploy chose: Postgres when the Worker has a Hyperdrive binding, D1 otherwise. */
export function openStore(env: Pick<OrchestratorEnv, "DB" | "HYPERDRIVE">): Store {
  return new Store(env.HYPERDRIVE ? postgresDriver(env.HYPERDRIVE.connectionString) : d1Driver(env.DB));
}
