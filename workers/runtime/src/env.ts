/** Bindings of the runtime Worker (see wrangler.runtime.jsonc). */
export interface RuntimeEnv {
  GATEWAY: Fetcher;
  TOOLS: Fetcher;
  ORCHESTRATOR: Fetcher;
}
