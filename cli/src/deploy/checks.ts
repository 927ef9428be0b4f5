// What a deployment refuses: a required variable that is neither given nor
// already set on its Worker, and a workflow anyone could invoke (no
// `invoke.auth`) that the user did not state is public. Also which secret
// values go up with the upload, including the admin token and the state key,
// generated when neither given nor set.

import type { ProjectBundle } from "../../../shared/bundle.ts";
import type { DeclaredVariable, DeployPlan } from "./plan.ts";
import { ADMIN_TOKEN, randomSecret, STATE_KEY } from "./secrets.ts";

export type SecretWorker = "orchestrator" | "gateway";

export interface ResolvedSecrets {
  /** Values uploaded with each Worker. */
  upload: Record<SecretWorker, Record<string, string>>;
  /** Required variables neither given nor already set. */
  missing: DeclaredVariable[];
  /** The admin token when this deploy generated it (print once). */
  generatedAdminToken?: string;
  /** One line per secret: its name, Worker and where its value comes from. */
  status: string[];
}

/**
 * `given`: secret values from `--secrets-file` and the environment, `givenFrom` where each came
 * from (printed, so a value exported for another environment does not go up unnoticed); `existing`: names already
 * set on the deployed Workers (null on a dry run, which cannot ask). `generate` is false on a
 * dry run: nothing is generated that would not be uploaded.
 */
export function resolveSecrets(
  plan: DeployPlan,
  given: Record<string, string | undefined>,
  existing: Record<SecretWorker, Set<string>> | null,
  generate: boolean,
  givenFrom: Record<string, string> = {},
): ResolvedSecrets {
  const from = (name: string) => (givenFrom[name] ? ` (from ${givenFrom[name]})` : "");
  const resolved: ResolvedSecrets = { upload: { orchestrator: {}, gateway: {} }, missing: [], status: [] };
  const isSet = (worker: SecretWorker, name: string) => existing?.[worker].has(name) ?? false;
  for (const v of plan.secrets) {
    const value = given[v.name];
    if (value !== undefined && value !== "") {
      resolved.upload[v.worker][v.name] = value;
      resolved.status.push(`${v.name} (${v.worker}): uploaded with the Worker${from(v.name)}`);
    } else if (isSet(v.worker, v.name)) resolved.status.push(`${v.name} (${v.worker}): already set, kept`);
    else if (v.hasDefault) resolved.status.push(`${v.name} (${v.worker}): not given, its declared default applies`);
    else {
      resolved.missing.push(v);
      resolved.status.push(`${v.name} (${v.worker}): MISSING (declared by ${v.declaredBy.join(", ")})`);
    }
  }
  // Plain variables without a default must come from the env file, or have been set by hand.
  for (const v of plan.unset) {
    if (isSet(v.worker, v.name)) resolved.status.push(`${v.name} (${v.worker}): already set, kept`);
    else {
      resolved.missing.push(v);
      resolved.status.push(`${v.name} (${v.worker}): MISSING (not in --env; declared by ${v.declaredBy.join(", ")})`);
    }
  }
  for (const name of [ADMIN_TOKEN, STATE_KEY]) {
    const value = given[name];
    if (value !== undefined && value !== "") {
      resolved.upload.orchestrator[name] = value;
      resolved.status.push(`${name} (orchestrator): uploaded with the Worker${from(name)}`);
    } else if (isSet("orchestrator", name)) resolved.status.push(`${name} (orchestrator): already set, kept`);
    else if (!generate) resolved.status.push(`${name} (orchestrator): a real deploy generates it unless given or already set`);
    else {
      const secret = randomSecret();
      resolved.upload.orchestrator[name] = secret;
      if (name === ADMIN_TOKEN) resolved.generatedAdminToken = secret;
      resolved.status.push(`${name} (orchestrator): generated${name === ADMIN_TOKEN ? " (printed below, once)" : " (never shown)"}, uploaded with the Worker`);
    }
  }
  return resolved;
}

/** Root workflows without `invoke.auth` that `--public` does not name. */
export function unstatedPublicWorkflows(project: ProjectBundle, statedPublic: readonly string[]): string[] {
  return Object.values(project.workflows)
    .filter((w) => w.invoke_name !== null && w.invoke_auth === null && !statedPublic.includes(w.invoke_name))
    .map((w) => w.invoke_name as string)
    .sort();
}

/** `--public` names that are not root workflows without `invoke.auth` (a typo would otherwise pass silently). */
export function strayPublicNames(project: ProjectBundle, statedPublic: readonly string[]): string[] {
  const open = new Set(
    Object.values(project.workflows)
      .filter((w) => w.invoke_name !== null && w.invoke_auth === null)
      .map((w) => w.invoke_name),
  );
  return statedPublic.filter((name) => !open.has(name));
}
