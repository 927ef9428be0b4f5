/** Bindings of the orchestrator Worker (see wrangler.orchestrator.jsonc). */
export interface OrchestratorEnv {
  DB: D1Database;
  RUNS: DurableObjectNamespace;
  RUN_QUEUE: Queue<unknown>;
  RUNTIME: Fetcher;
  GATEWAY: Fetcher;
  TOOLS: Fetcher;
  /** Values of the root workflows' declared `env[]` entries arrive as vars/secrets of the same name. */
  [name: string]: unknown;
}
