// B14: resolved credentials never leave the runtime in what the orchestrator stores and
// serves (`original_request`, messages, checkpoints).
import type { InvokeRequest, ToolServerSpec } from "../../../shared/contracts/runtime.ts";

export const REDACTED = "[REDACTED]";

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
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** The request with every `auth_value` and secret server param replaced by `[REDACTED]`. */
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

/** A copy of `value` with every occurrence of a secret in any string replaced. */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const scrub = (item: unknown): unknown => {
    if (typeof item === "string") return secrets.reduce((text, secret) => text.split(secret).join(REDACTED), item);
    if (Array.isArray(item)) return item.map(scrub);
    if (typeof item === "object" && item !== null) {
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, scrub(inner)]));
    }
    return item;
  };
  return scrub(value) as T;
}
