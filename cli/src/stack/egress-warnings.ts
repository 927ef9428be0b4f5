// Webhook and MCP server URLs whose host cannot be known before a run: it
// comes from a secret, from a variable without a value, or from a param. The
// egress allowlist is built from the hosts the project names, so such a call
// is refused by the gateway unless its host is allowed by hand; `ktsu validate`
// and `ktsu deploy` say so for each one.

import type { EnvDeclaration, ProjectBundle } from "../../../shared/bundle.ts";
import { parseValueSource, sourceReads, VALUE_FIELDS } from "../../../shared/values/index.ts";
import { staticHost, withEnv } from "./project-vars.ts";

export interface UnknownHost {
  /** `webhook step "notify" of workflow hello` or `MCP server servers/x.server.yaml (used by step "research" of workflow hello)`. */
  where: string;
  url: string;
  /** What the URL is built from that is unknown: `secret X`, `X (no value here …)`, `param y`. */
  why: string;
}

/** How to allow a host, as the warnings print it. */
export const HOW_TO_ALLOW = "list its host in KTSU_EGRESS_ALLOW (comma-separated; in the env file, the environment, or `ktsu deploy --egress-allow HOST`)";

/** What a webhook URL's host depends on that is not known before the run. */
function webhookWhy(url: string, declarations: EnvDeclaration[], source: Record<string, string | undefined>): string {
  const reads = sourceReads(parseValueSource(url, VALUE_FIELDS.webhookUrl));
  const declared = (name: string) => declarations.find((d) => d.name === name);
  const secret = reads.env.filter((name) => declared(name)?.secret);
  const unset = reads.env.filter((name) => !declared(name)?.secret && source[name] === undefined && declared(name)?.default === undefined);
  const parts = [
    ...secret.map((name) => `secret ${name}`),
    ...unset.map((name) => `${name} (no value here: give it one with --env)`),
    ...reads.params.map((name) => `param ${name}`),
  ];
  return parts.length > 0 ? `its URL is built from ${parts.join(", ")}` : "its URL is not written out";
}

function unknown(url: string): boolean {
  if (/^ktsu:/i.test(url)) return false; // first-party tools, reached through a binding
  return staticHost(url) === null;
}

/** Every webhook step and MCP server whose URL's host is unknown with the variables in `source`. */
export function unknownEgressHosts(project: ProjectBundle, source: Record<string, string | undefined>): UnknownHost[] {
  const found: UnknownHost[] = [];
  const usersOf = new Map<string, string[]>();
  for (const workflow of Object.values(project.workflows)) {
    const name = workflow.invoke_name ?? workflow.path;
    for (const step of workflow.pipeline) {
      if (step.type === "webhook" && unknown(withEnv(step.webhook.url, workflow.env, source))) {
        found.push({ where: `webhook step "${step.id}" of workflow ${name}`, url: step.webhook.url, why: webhookWhy(step.webhook.url, workflow.env, source) });
      }
      if (step.type === "agent") {
        for (const server of project.agents[step.agent]?.servers ?? []) {
          usersOf.set(server.server, [...(usersOf.get(server.server) ?? []), `step "${step.id}" of workflow ${name}`]);
        }
      }
    }
  }
  for (const [key, server] of Object.entries(project.servers)) {
    if (!unknown(server.url)) continue;
    const users = usersOf.get(key) ?? [];
    found.push({
      where: `MCP server ${server.path}${users.length > 0 ? ` (used by ${users.join(", ")})` : ""}`,
      url: server.url,
      why: "its URL is built from a param or variable",
    });
  }
  return found;
}

/** One line per unknown host. */
export function renderUnknownHosts(hosts: UnknownHost[], allowlist?: string[]): string[] {
  const allowed = allowlist && allowlist.length > 0 ? ` (the allowlist now: ${allowlist.join(", ")})` : "";
  return hosts.map(
    (h) =>
      `warning: ${h.where}: ${h.why} (${h.url}), so its host cannot be known before it runs and the gateway refuses it unless allowed: ${HOW_TO_ALLOW}${allowed}`,
  );
}
