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

/**
 * Default egress allowlist: the hosts the project itself names (webhook URLs and
 * tool servers), plus anything listed in `KTSU_EGRESS_ALLOW` (comma-separated).
 */
export function egressHosts(project: ProjectBundle, extra: string | undefined): string[] {
  const hosts = new Set<string>();
  for (const workflow of Object.values(project.workflows)) {
    for (const step of workflow.pipeline) {
      if (step.type === "webhook") {
        const host = staticHost(step.webhook.url);
        if (host) hosts.add(host);
      }
    }
  }
  for (const server of Object.values(project.servers)) {
    const host = staticHost(server.url);
    if (host) hosts.add(host);
  }
  for (const host of (extra ?? "").split(",")) if (host.trim()) hosts.add(host.trim().toLowerCase());
  return [...hosts].sort();
}
