import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { EnvDeclaration, ProjectBundle } from "../../../shared/bundle.ts";

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
  // `invoke.auth.secret: env:NAME` reads a variable the workflow need not declare.
  for (const workflow of roots) {
    const secret = workflow.invoke_auth?.secret;
    if (secret?.startsWith("env:")) workflowEnv.push({ name: secret.slice(4), secret: true });
  }
  return {
    orchestrator: declaredValues(workflowEnv, source),
    gateway: declaredValues(project.gateway?.env ?? [], source),
  };
}

/** The host of a URL written in the project, when it is static (not `env:`/`param:` and no template in the host). */
function staticHost(url: string): string | null {
  if (url.includes("{{") && /^[a-z]+:\/\/[^/]*\{\{/i.test(url)) return null;
  try {
    const host = new URL(url).host;
    return host === "" ? null : host.toLowerCase();
  } catch {
    return null;
  }
}

/** `{{ env.NAME }}` and a whole `env:NAME` replaced by the variable's value (or its declared default). */
function withEnv(url: string, declarations: EnvDeclaration[], source: Source): string {
  const value = (name: string) => source[name] ?? declarations.find((d) => d.name === name)?.default ?? "";
  if (url.startsWith("env:")) return value(url.slice(4));
  return url.replace(/\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => value(name));
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
