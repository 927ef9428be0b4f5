import type { RunDO } from "./run/run-do.ts";

/** Bindings of the orchestrator Worker (see wrangler.orchestrator.jsonc). */
export interface OrchestratorEnv {
  DB: D1Database;
  RUNS: DurableObjectNamespace<RunDO>;
  RUN_QUEUE: Queue<unknown>;
  RUNTIME: Fetcher;
  GATEWAY: Fetcher;
  TOOLS: Fetcher;
  /** 32 bytes, base64: encrypts secret params in each run's storage. `ktsu start` makes one per state dir. */
  KTSU_STATE_KEY?: string;
  /** When set, `/runs*` and `/approvals` need `Authorization: Bearer <token>`. */
  KTSU_ADMIN_TOKEN?: string;
  /** Milliseconds without a heartbeat after which an agent step fails (default 15000). */
  KTSU_HEARTBEAT_TIMEOUT_MS?: string;
  /** Values of the root workflows' declared `env[]` entries arrive as vars/secrets of the same name. */
  [name: string]: unknown;
}
