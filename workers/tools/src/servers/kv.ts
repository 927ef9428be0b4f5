import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";
import type { ToolsEnv } from "../env.ts";

function text(value: unknown) {
  return { content: [{ type: "text" as const, text: typeof value === "string" ? value : JSON.stringify(value) }] };
}

/** The `kv` server: a persistent key-value store per namespace (`persistent_id`). */
export function createKvServer(env: ToolsEnv, namespace: string): McpServer {
  const store = env.KV.get(env.KV.idFromName(namespace));
  const server = new McpServer({ name: "kv", version: "0.1.0" });

  server.registerTool(
    "get",
    { description: "Read the JSON value stored at a key (null when absent).", inputSchema: { key: z.string().min(1) } },
    async ({ key }) => text(await store.getValue(key)),
  );
  server.registerTool(
    "set",
    { description: "Store a JSON value at a key.", inputSchema: { key: z.string().min(1), value: z.unknown() } },
    async ({ key, value }) => {
      await store.setValue(key, value ?? null);
      return text({ ok: true });
    },
  );
  server.registerTool(
    "delete",
    { description: "Delete a key. Returns whether it existed.", inputSchema: { key: z.string().min(1) } },
    async ({ key }) => text({ deleted: await store.deleteValue(key) }),
  );
  server.registerTool(
    "list",
    {
      description: "List keys, optionally under a prefix.",
      inputSchema: { prefix: z.string().optional(), limit: z.number().int().min(1).max(1000).optional() },
    },
    async ({ prefix, limit }) => text({ keys: await store.listKeys(prefix ?? "", limit ?? 100) }),
  );
  server.registerTool(
    "increment",
    { description: "Add to a numeric value (absent counts as 0) and return the result.", inputSchema: { key: z.string().min(1), by: z.number().optional() } },
    async ({ key, by }) => text({ value: await store.increment(key, by ?? 1) }),
  );
  return server;
}
