// What a deployment sets on each Worker: the variables the project declares
// (root workflows' `env[]`, the names `invoke.auth.secret` reads, the gateway
// config's `env[]`), split into plain vars and secrets, plus the heartbeat pair
// and the gateway's egress allowlist.

import type { ProjectBundle } from "../../../shared/bundle.ts";
import { envNamesRead, VALUE_FIELDS } from "../../../shared/values/index.ts";
import type { HeartbeatVars } from "../stack/heartbeat-vars.ts";
import type { WorkerName } from "../stack/paths.ts";
import type { OtelVars } from "../stack/otel-vars.ts";
import { egressHosts } from "../stack/project-vars.ts";

export interface DeclaredVariable {
  worker: "orchestrator" | "gateway";
  name: string;
  secret: boolean;
  hasDefault: boolean;
  /** Where it is declared: `workflow <name>`, `invoke.auth of <name>`, or `gateway config`. */
  declaredBy: string[];
}

/**
 * Every variable the Workers read, as `workerVars` (the local stack) passes
 * them: the root workflows' `env[]` and the variables `invoke.auth.secret` reads go to
 * the orchestrator, the gateway config's `env[]` to the gateway.
 */
export function declaredVariables(project: ProjectBundle): DeclaredVariable[] {
  const found = new Map<string, DeclaredVariable>();
  const add = (worker: DeclaredVariable["worker"], name: string, secret: boolean, hasDefault: boolean, by: string) => {
    const key = `${worker}:${name}`;
    const entry = found.get(key) ?? { worker, name, secret: false, hasDefault: true, declaredBy: [] };
    entry.secret ||= secret;
    entry.hasDefault &&= hasDefault;
    if (!entry.declaredBy.includes(by)) entry.declaredBy.push(by);
    found.set(key, entry);
  };
  const roots = Object.values(project.workflows).filter((w) => w.invoke_name !== null);
  for (const workflow of roots) {
    for (const decl of workflow.env) add("orchestrator", decl.name, decl.secret, decl.default !== undefined, `workflow ${workflow.invoke_name}`);
    const secret = workflow.invoke_auth?.secret;
    for (const name of secret === undefined ? [] : envNamesRead(secret, VALUE_FIELDS.invokeAuthSecret)) {
      add("orchestrator", name, true, false, `invoke.auth of ${workflow.invoke_name}`);
    }
  }
  for (const decl of project.gateway?.env ?? []) add("gateway", decl.name, decl.secret, decl.default !== undefined, "gateway config");
  return [...found.values()].sort((a, b) => (a.worker === b.worker ? a.name.localeCompare(b.name) : a.worker === "gateway" ? 1 : -1));
}

export interface DeployPlan {
  /** `--var` pairs per Worker: non-secret values from the env file, and the gateway's egress allowlist. */
  vars: Record<WorkerName, Record<string, string>>;
  /** Secrets to set with `wrangler secret put` (declared secret). */
  secrets: DeclaredVariable[];
  /** Non-secret variables without a default and without a value in the env file. */
  unset: DeclaredVariable[];
  /** Secret names the env file sets: not deployed (they would become plain-text vars). */
  secretsInEnvFile: DeclaredVariable[];
  /** The gateway's egress allowlist: hosts the project names, plus KTSU_EGRESS_ALLOW (env file, then environment). */
  egressAllow: string[];
}

/**
 * `heartbeat` (from heartbeatVars) adds KTSU_HEARTBEAT_INTERVAL_MS to the runtime's vars and
 * KTSU_HEARTBEAT_TIMEOUT_MS to the orchestrator's, when set.
 */
export function deployPlan(
  project: ProjectBundle,
  envFileVars: Record<string, string> = {},
  egressExtra?: string,
  heartbeat?: Pick<HeartbeatVars, "orchestrator" | "runtime">,
): DeployPlan {
  const vars: Record<WorkerName, Record<string, string>> = {
    tools: {},
    gateway: {},
    runtime: { ...heartbeat?.runtime },
    orchestrator: { ...heartbeat?.orchestrator },
  };
  const declared = declaredVariables(project);
  const plan: DeployPlan = { vars, secrets: [], unset: [], secretsInEnvFile: [], egressAllow: [] };
  for (const v of declared) {
    const value = envFileVars[v.name];
    if (v.secret) {
      plan.secrets.push(v);
      if (value !== undefined) plan.secretsInEnvFile.push(v);
    } else if (value !== undefined) vars[v.worker][v.name] = value;
    else if (!v.hasDefault) plan.unset.push(v);
  }
  const extra = [envFileVars.KTSU_EGRESS_ALLOW, egressExtra].filter((v): v is string => !!v).join(",");
  plan.egressAllow = egressHosts(project, { ...envFileVars, KTSU_EGRESS_ALLOW: extra });
  if (plan.egressAllow.length > 0) vars.gateway.KTSU_EGRESS_ALLOW = plan.egressAllow.join(",");
  return plan;
}

/**
 * Trace export: the endpoints as plain vars of the orchestrator and the gateway, the headers
 * (an API key, typically) as optional gateway secrets, uploaded when given.
 */
export function addOtelVars(plan: DeployPlan, otel: OtelVars): void {
  Object.assign(plan.vars.orchestrator, otel.orchestrator);
  Object.assign(plan.vars.gateway, otel.gateway);
  for (const name of Object.keys(otel.headers)) {
    plan.secrets.push({ worker: "gateway", name, secret: true, hasDefault: true, declaredBy: ["trace export (OTEL_EXPORTER_OTLP_ENDPOINT)"] });
  }
}
