import type { KvNamespaceDO } from "./kv-do.ts";

/** Bindings of the tools Worker (see wrangler.tools.jsonc). */
export interface ToolsEnv {
  KV: DurableObjectNamespace<KvNamespaceDO>;
}
