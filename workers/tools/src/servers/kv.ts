// The `kv` server: a persistent key-value store per namespace (the agent's `persistent_id`),
// one Durable Object per namespace so `increment` is atomic.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";
import type { ToolsEnv } from "../env.ts";
import type { RequestContext } from "../request-context.ts";
import { errorResult, textResult } from "./result.ts";
import { retryDurableObjectCall } from "../../../../shared/util/durable-object-retries.ts";

const key = z.string().min(1).max(512);

export function createKvServer(env: ToolsEnv, context: RequestContext): McpServer {
  // A new stub per call: one that threw may stay broken. Reads and `set` are retried on a
  // transient error (running them twice changes nothing); `delete` is not (its answer,
  // whether the key existed, would be wrong after a first try that deleted it), nor is
  // `increment` (it would add twice).
  const store = () => env.KV.get(env.KV.idFromName(context.namespace));
  const server = new McpServer({ name: "kv", version: "0.1.0" });

  server.registerTool(
    "get",
    { description: "Read the value stored at a key, as JSON (null when absent).", inputSchema: { key } },
    // Always JSON, so the string "1" and the number 1 read differently.
    async ({ key }) => textResult(JSON.stringify(await retryDurableObjectCall(() => store().getValue(key)))),
  );
  server.registerTool("set", { description: "Store a JSON value at a key.", inputSchema: { key, value: z.unknown() } }, async ({ key, value }) => {
    await retryDurableObjectCall(() => store().setValue(key, value ?? null));
    return textResult({ ok: true });
  });
  server.registerTool("delete", { description: "Delete a key. Returns whether it existed.", inputSchema: { key } }, async ({ key }) =>
    textResult({ deleted: await store().deleteValue(key) }),
  );
  server.registerTool(
    "list",
    {
      description: "List keys in order, optionally under a prefix (at most `limit`, default 100).",
      inputSchema: { prefix: z.string().optional(), limit: z.number().int().min(1).max(1000).optional() },
    },
    async ({ prefix, limit }) => textResult({ keys: await retryDurableObjectCall(() => store().listKeys(prefix ?? "", limit ?? 100)) }),
  );
  server.registerTool(
    "increment",
    {
      description: "Add `by` (default 1) to a numeric value (absent counts as 0) and return the result.",
      inputSchema: { key, by: z.number().optional() },
    },
    async ({ key, by }) => {
      const result = await store().increment(key, by ?? 1);
      return "error" in result ? errorResult(result.error) : textResult({ value: result.value });
    },
  );
  return server;
}
