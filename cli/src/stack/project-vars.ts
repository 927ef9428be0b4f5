import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { EnvDeclaration, ProjectBundle } from "../../../shared/bundle.ts";
import { expressionStepRefs } from "../../../shared/expr/index.ts";
import { envNamesRead, parseValueSource, resolveValue, sourceReads, VALUE_FIELDS } from "../../../shared/values/index.ts";

type Source = Record<string, string | undefined>;

/** Values of the declared variables that are set in `source` (defaults stay with the Workers). */
function declaredValues(declarations: EnvDeclaration[], source: Source): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { name } of declarations) {
    const value = source[name];
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/**
 * The vars each Worker gets locally: the orchestrator sees the root workflows'
 * declared `env[]` names, the gateway its own declared names (credentials).
 * Undeclared variables never enter a Worker. In production the same names are
 * set with `wrangler secret put`.
 */
export function workerVars(project: ProjectBundle, source: Source) {
  const roots = Object.values(project.workflows).filter((w) => w.invoke_name !== null);
  const workflowEnv = roots.flatMap((w) => w.env);
  // `invoke.auth.secret` reads variables the workflow need not declare.
  for (const workflow of roots) {
    const secret = workflow.invoke_auth?.secret;
    for (const name of secret === undefined ? [] : envNamesRead(secret, VALUE_FIELDS.invokeAuthSecret)) workflowEnv.push({ name, secret: true });
  }
  return {
    orchestrator: declaredValues(workflowEnv, source),
    gateway: declaredValues(project.gateway?.env ?? [], source),
  };
}

/** The host of a URL written in the project, when it is static (not `param:` and no unresolved template in the host). */
export function staticHost(url: string): string | null {
  if (url.includes("{{") && /^[a-z]+:\/\/[^/]*\{\{/i.test(url)) return null;
  try {
    const host = new URL(url).host;
    return host === "" ? null : host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * A webhook URL with its env reads resolved from the variables (or their
 * declared defaults): a legacy `env:NAME`, and each placeholder that reads
 * only env. Placeholders that read params or steps stay as written.
 */
export function withEnv(url: string, declarations: EnvDeclaration[], source: Source): string {
  const env: Record<string, string> = {};
  for (const decl of declarations) env[decl.name] = source[decl.name] ?? decl.default ?? "";
  const resolved = (text: string): string | undefined => {
    const outcome = resolveValue(text, { env }, VALUE_FIELDS.webhookUrl);
    return outcome.ok && typeof outcome.value === "string" ? outcome.value : undefined;
  };
  const parsed = parseValueSource(url, VALUE_FIELDS.webhookUrl);
  if (parsed.kind === "legacy-env") return resolved(url) ?? url;
  const parts =
    parsed.kind === "template" ? [{ kind: "expr" as const, expression: parsed.expression, source: url }] : parsed.kind === "interpolation" ? parsed.parts : [];
  if (parts.length === 0) return url;
  return parts
    .map((part) => {
      if (part.kind === "text") return part.text;
      const reads = sourceReads(parseValueSource(part.source, VALUE_FIELDS.webhookUrl));
      const onlyEnv = reads.env.length > 0 && reads.params.length === 0 && expressionStepRefs(part.expression, { flat: true }).length === 0;
      return (onlyEnv ? resolved(part.source) : undefined) ?? part.source;
    })
    .join("");
}

/**
 * Default egress allowlist: the hosts the project itself names (webhook URLs,
 * resolving `env` references, and tool servers), plus anything listed in
 * `KTSU_EGRESS_ALLOW` (comma-separated).
 */
export function egressHosts(project: ProjectBundle, source: Source): string[] {
  const hosts = new Set<string>();
  for (const workflow of Object.values(project.workflows)) {
    for (const step of workflow.pipeline) {
      if (step.type === "webhook") {
        const host = staticHost(withEnv(step.webhook.url, workflow.env, source));
        if (host) hosts.add(host);
      }
    }
  }
  const extra = source.KTSU_EGRESS_ALLOW;
  for (const server of Object.values(project.servers)) {
    const host = staticHost(server.url);
    if (host) hosts.add(host);
  }
  for (const host of (extra ?? "").split(",")) if (host.trim()) hosts.add(host.trim().toLowerCase());
  return [...hosts].sort();
}

/** `variables:` of an env file (`environments/*.env.yaml`), as strings. */
export function envFileVariables(file: string): Record<string, string> {
  const doc = parseYaml(readFileSync(file, "utf8")) as { variables?: Record<string, unknown> } | null;
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(doc?.variables ?? {})) {
    if (value !== null && value !== undefined) variables[name] = String(value);
  }
  return variables;
}
