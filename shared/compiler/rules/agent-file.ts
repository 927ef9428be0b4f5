// Rules for agent files: output schema, prompts, reflect, and each
// `servers[]` entry (allowlist, approval policies, server params, auth,
// persistent_id).

import type { AgentFile, AgentServerConfig, ParamSpec, ServerFile } from "../../config/types.ts";
import { allowlistPatternProblem } from "../allowlist.ts";
import { isBroken, typeName } from "../decode.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";
import { parseGoDuration } from "../durations.ts";
import { hasPlaceholder, paramPlaceholderName, placeholders, wholeParamRef } from "../expressions.ts";
import type { Project } from "../load-project.ts";
import { paramSpecs, serverParamSpecs } from "../params.ts";
import { checkPersistentId } from "./persistent-id.ts";
import { parsed } from "./common.ts";
import { checkReservedParams } from "./workflow-shape.ts";

export function checkAgents(project: Project): void {
  for (const file of parsed(project.agents.values())) {
    const agent = file.data;
    const issues = file.issues;
    const params = paramSpecs(agent.params?.schema);

    const schema = agent.output?.schema;
    if (!schema || Object.keys(schema).length === 0) issues.error(["output", "schema"], "agent has no output schema defined");
    if ((agent.max_turns ?? 0) < 0) issues.error(["max_turns"], "max_turns must not be negative");
    checkReservedParams(agent.params?.schema, ["params", "schema"], issues);
    checkPrompts(agent, params, issues);

    const links = project.serverLinks.get(file.path) ?? [];
    agent.servers?.forEach((entry, i) => {
      if (isBroken(entry)) return;
      const serverPath = links[i];
      const server = serverPath === undefined ? undefined : project.servers.get(serverPath)?.data;
      checkServerEntry(entry, ["servers", i], server, params, issues);
    });
  }
}

function checkPrompts(agent: AgentFile, params: ParamSpec[], issues: FileIssues): void {
  const prompt = agent.prompt ?? {};
  if (prompt.system !== undefined && hasPlaceholder(prompt.system)) {
    issues.error(["prompt", "system"], "prompt.system must be static — remove {{ }} expressions and use prompt.user for dynamic content");
  }

  const byName = new Map(params.map((p) => [p.name, p]));
  for (const field of ["user", "reflect"] as const) {
    const text = prompt[field];
    if (text === undefined) continue;
    const reported = new Set<string>();
    for (const inner of placeholders(text)) {
      if (reported.has(inner)) continue;
      reported.add(inner);
      const name = paramPlaceholderName(inner);
      if (name === undefined) {
        issues.error(["prompt", field], `unsupported template namespace "{{ ${inner} }}" — only {{ params.KEY }} is supported`);
      } else if (!byName.has(name)) {
        issues.error(["prompt", field], `prompt references param "${name}" which is not declared in params.schema`);
      } else if (byName.get(name)?.secret) {
        // Whole placeholders only: `params.token_id` does not match `token` (the
        // original's substring test also flagged params whose name starts with a secret's).
        issues.error(["prompt", field], `secret param "${name}" must not appear in prompt.${field}`);
      }
    }
  }

  const reflect = prompt.reflect;
  if (reflect !== undefined && reflect !== "" && reflect.trim() === "") {
    issues.error(["prompt", "reflect"], "reflect prompt is empty or whitespace");
  } else if (reflect !== undefined && reflect.trim() !== "" && agent.max_turns === 1) {
    issues.warn(["prompt", "reflect"], "reflect declared with max_turns: 1 — reflect will operate on single-turn output");
  }
}

function checkServerEntry(entry: AgentServerConfig, path: FieldPath, server: ServerFile | undefined, agentParams: ParamSpec[], issues: FileIssues): void {
  const label = entry.name ?? entry.path ?? "";
  checkAllowlist(entry, path, label, issues);

  const agentByName = new Map(agentParams.map((p) => [p.name, p]));
  const declared = server ? serverParamSpecs(server.params) : undefined;
  const declaredByName = new Map((declared ?? []).map((p) => [p.name, p]));

  for (const [name, value] of Object.entries(entry.params ?? {})) {
    const at: FieldPath = [...path, "params", name];
    if (typeof value === "object" && value !== null) {
      issues.error(at, `server param "${name}": value must be a string, got ${typeName(value)}`);
      continue;
    }
    if (declared && !declaredByName.has(name)) {
      issues.warn(at, `server param "${name}" is not declared by the server file; it is ignored`);
    }
    if (typeof value !== "string" || !value.includes("{{")) continue;

    const key = wholeParamRef(value);
    if (key === undefined) {
      issues.error(at, `server param "${name}": unsupported template "${value}" — only {{ params.KEY }} is supported`);
      continue;
    }
    const source = agentByName.get(key);
    if (!source) {
      issues.error(at, `server param "${name}": agent param "${key}" not found`);
    } else if (declaredByName.get(name)?.secret && !source.secret) {
      issues.error(at, `server param "${name}" is secret but agent param "${key}" is not marked secret`);
    } else if (declaredByName.has(name) && !declaredByName.get(name)?.secret && source.secret) {
      issues.error(at, `server param "${name}" is not secret but is fed from secret agent param "${key}"; mark it secret: true`);
    }
  }

  for (const spec of declared ?? []) {
    if (spec.required && entry.params?.[spec.name] === undefined) {
      issues.error([...path, "params"], `required server param "${spec.name}" has no value`);
    }
  }

  if (entry.persistent_id !== undefined) checkPersistentId(entry.persistent_id, [...path, "persistent_id"], label, agentByName, issues);

  const secret = server?.auth?.secret;
  if (secret?.includes("{{")) {
    const key = wholeParamRef(secret);
    const source = key === undefined ? undefined : agentByName.get(key);
    if (key !== undefined && !source) {
      issues.error([...path, "path"], `server "${label}" auth.secret: param "${key}" not found in agent params`);
    } else if (key !== undefined && source && !source.secret) {
      issues.error([...path, "path"], `server "${label}" auth.secret references agent param "${key}" which is not marked secret`);
    }
  }
}

function checkAllowlist(entry: AgentServerConfig, path: FieldPath, label: string, issues: FileIssues): void {
  const allowlist = entry.access?.allowlist;
  if (!allowlist || allowlist.length === 0) {
    issues.warn([...path, "access", "allowlist"], `server "${label}" has no allowlist, so it contributes no tools (an empty allowlist is not "*")`);
    return;
  }
  allowlist.forEach((item, i) => {
    const at: FieldPath = [...path, "access", "allowlist", i];
    if (typeof item === "string") {
      const problem = allowlistPatternProblem(item);
      if (problem) issues.error(at, problem);
      return;
    }
    if (isBroken(item)) return;
    if (item.name === undefined || item.name === "") {
      issues.error([...at, "name"], "allowlist entry needs a name");
      return;
    }
    const problem = allowlistPatternProblem(item.name);
    if (problem) issues.error([...at, "name"], problem);

    const policy = item.require_approval;
    if (!policy) return;
    const prefix = `server "${label}" tool "${item.name}"`;
    const policyPath: FieldPath = [...at, "require_approval"];
    if (policy.on_reject !== "fail" && policy.on_reject !== "recover") {
      issues.error([...policyPath, "on_reject"], `${prefix}: require_approval.on_reject must be "fail" or "recover", got "${policy.on_reject ?? ""}"`);
    }
    let timeoutMs = 0;
    if (policy.timeout !== undefined) {
      const parsedMs = parseGoDuration(policy.timeout);
      if (parsedMs === undefined || parsedMs < 0) {
        issues.error(
          [...policyPath, "timeout"],
          `${prefix}: require_approval.timeout must be a duration such as "30m", "2h" or "90s", got "${policy.timeout}"`,
        );
      } else {
        timeoutMs = parsedMs;
      }
    }
    if (timeoutMs > 0 && policy.timeout_behavior !== "fail" && policy.timeout_behavior !== "reject") {
      issues.error(
        [...policyPath, "timeout_behavior"],
        `${prefix}: require_approval.timeout_behavior must be "fail" or "reject", got "${policy.timeout_behavior ?? ""}"`,
      );
    }
  });
}
