import type { KvNamespaceDO } from "./kv-do.ts";

/** Bindings of the tools Worker (see workers/tools/wrangler.toml). */
export interface ToolsEnv {
  KV: DurableObjectNamespace<KvNamespaceDO>;
  /** Read-only use: `GET /runs/<id>/envelope` for the `envelope` server. */
  ORCHESTRATOR: Fetcher;
}
