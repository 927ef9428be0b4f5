// The credentials in an invoke request: every tool server's `auth_value` and its
// secret params. They are masked (shared/secrets) in everything the runtime sends
// back, and the request the orchestrator stores for a resume never carries them.
import type { InvokeRequest, ToolServerSpec } from "../../../shared/contracts/runtime.ts";
import { REDACTED } from "../../../shared/secrets/scrub.ts";

/** Auth values (with and without their `Bearer ` scheme) and secret server params. */
export function secretsOf(servers: readonly ToolServerSpec[]): string[] {
  const secrets = new Set<string>();
  for (const server of servers) {
    if (typeof server.auth_value === "string" && server.auth_value) {
      secrets.add(server.auth_value);
      const bare = server.auth_value.replace(/^bearer\s+/i, "");
      if (bare) secrets.add(bare);
    }
    for (const key of Array.isArray(server.secret_keys) ? server.secret_keys : []) {
      const value = server.params?.[key];
      if (typeof value === "string" && value) secrets.add(value);
    }
  }
  return [...secrets];
}

/**
 * The request with every `auth_value` and secret server param replaced by `[REDACTED]`
 * as a whole field, whatever its length (the short-secret rule is for text, not fields).
 */
export function redactRequest(request: InvokeRequest): InvokeRequest {
  const copy = structuredClone(request);
  copy.tool_servers = (copy.tool_servers ?? []).map((server) => {
    if (server.auth_value) server.auth_value = REDACTED;
    if (server.params && Array.isArray(server.secret_keys)) {
      for (const key of server.secret_keys) if (Object.hasOwn(server.params, key)) server.params[key] = REDACTED;
    }
    return server;
  });
  return copy;
}
