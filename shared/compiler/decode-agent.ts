// Reads a parsed `*.agent.yaml` into a typed `AgentFile`.

import type { AgentFile, AgentServerConfig, AllowlistEntryConfig } from "../config/types.ts";
import type { FieldPath } from "./diagnostics.ts";
import { brokenEntry, compact, typeName, type Decoder } from "./decode.ts";
import { isPlainObject } from "../util/objects.ts";

export function decodeAgent(value: unknown, d: Decoder): AgentFile {
  const root = d.mapping(value, []) ?? {};
  const params = d.mapping(root.params, ["params"]);
  const prompt = d.mapping(root.prompt, ["prompt"]);
  const output = d.mapping(root.output, ["output"]);

  return compact<AgentFile>({
    name: d.string(root.name, ["name"]),
    description: d.string(root.description, ["description"]),
    model: d.string(root.model, ["model"]),
    max_turns: d.integer(root.max_turns, ["max_turns"]),
    params: params && compact({ schema: d.schema(params.schema, ["params", "schema"]) }),
    prompt:
      prompt &&
      compact({
        system: d.string(prompt.system, ["prompt", "system"]),
        user: d.string(prompt.user, ["prompt", "user"]),
        reflect: d.string(prompt.reflect, ["prompt", "reflect"]),
      }),
    servers: d.list(root.servers, ["servers"], (v, p) => decodeAgentServer(v, p, d)),
    output: output && compact({ schema: d.schema(output.schema, ["output", "schema"]) }),
    cost_budget_usd: d.number(root.cost_budget_usd, ["cost_budget_usd"]),
  });
}

function decodeAgentServer(value: unknown, path: FieldPath, d: Decoder): AgentServerConfig {
  const server = d.mapping(value, path);
  if (!server) return brokenEntry<AgentServerConfig>();
  const access = d.mapping(server.access, [...path, "access"]);
  return compact<AgentServerConfig>({
    name: d.string(server.name, [...path, "name"]),
    path: d.string(server.path, [...path, "path"]),
    persistent_id: d.string(server.persistent_id, [...path, "persistent_id"]),
    params: d.mapping(server.params, [...path, "params"]),
    access:
      access &&
      compact({
        allowlist: d.list(access.allowlist, [...path, "access", "allowlist"], (v, p) => decodeAllowlistEntry(v, p, d)),
      }),
  });
}

function decodeAllowlistEntry(value: unknown, path: FieldPath, d: Decoder): AllowlistEntryConfig {
  if (typeof value === "string") return value;
  if (!isPlainObject(value)) {
    d.issues.error(path, `must be a tool name or {name, require_approval}, got ${typeName(value)}`);
    return brokenEntry<{ name?: string }>();
  }
  const entry = value;
  const policy = d.mapping(entry.require_approval, [...path, "require_approval"]);
  return compact({
    name: d.string(entry.name, [...path, "name"]),
    require_approval:
      policy &&
      compact({
        on_reject: d.string(policy.on_reject, [...path, "require_approval", "on_reject"]),
        timeout: d.string(policy.timeout, [...path, "require_approval", "timeout"]),
        timeout_behavior: d.string(policy.timeout_behavior, [...path, "require_approval", "timeout_behavior"]),
      }),
  });
}
