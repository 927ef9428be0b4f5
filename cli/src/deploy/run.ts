// `ktsu deploy`'s steps, in the order that keeps a half-done deploy harmless:
// check everything offline first (names, the project, required secrets, public
// workflows), then create the account's resources (--bootstrap), apply the D1
// migrations, and only then upload the Workers, each with its secrets in the
// same upload.

import { existsSync } from "node:fs";
import path from "node:path";
import { errorMessage } from "../../../shared/util/errors.ts";
import { buildProject } from "../build/index.ts";
import { renderReport, renderWorkspaceNotes } from "../report/print.ts";
import { buildWorker } from "../stack/build-workers.ts";
import { renderUnknownHosts, unknownEgressHosts } from "../stack/egress-warnings.ts";
import { HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT, type HeartbeatVars, heartbeatVars } from "../stack/heartbeat-vars.ts";
import { otelSummary, otelVars } from "../stack/otel-vars.ts";
import { type RetentionVars, retentionSummary, retentionVars } from "../stack/retention-vars.ts";
import { type WorkerName, wranglerConfigPath } from "../stack/paths.ts";
import { applyPostgresMigrations } from "../stack/postgres-migrations.ts";
import { envFileVariables } from "../stack/project-vars.ts";
import { checkStoreUrl, describeStoreUrl } from "../stack/store-url.ts";
import { rawConfig } from "../stack/worker-config.ts";
import { resolveSecrets, strayPublicNames, unstatedPublicWorkflows } from "./checks.ts";
import { deployConfigs, UNCREATED_D1_ID, withoutServices, writeConfigs } from "./configs.ts";
import { type DeployNames, deployNames } from "./names.ts";
import { addOtelVars, deployPlan } from "./plan.ts";
import { storeHyperdriveId } from "./postgres-store.ts";
import { applyRemoteMigrations, ensureResources } from "./resources.ts";
import { existingSecrets, parseSecretsFile, secretFiles } from "./secrets.ts";
import { readState, recordEnvironment, STATE_FILE } from "./state.ts";

/** Upload order: each Worker after the ones it binds to (the orchestrator ↔ tools/runtime cycle aside). */
export const DEPLOY_ORDER: readonly WorkerName[] = ["tools", "gateway", "runtime", "orchestrator"];

export interface DeployOptions {
  projectDir: string;
  environment: string;
  envFile?: string;
  gatewayConfig?: string;
  dryRun: boolean;
  outdir?: string;
  bootstrap: boolean;
  secretsFile?: string;
  /** Workflows without `invoke.auth` the user states may be invoked by anyone. */
  public: string[];
  /** Extra egress hosts (`--egress-allow`). */
  egressAllow: string[];
  workspaces: string[];
  hubLock: boolean;
  /** `--store-url`: keep the Store in this Postgres database, through a Hyperdrive config. */
  storeUrl?: string;
  /** `--hyperdrive-id`: an existing Hyperdrive config for it, instead of creating one. */
  hyperdriveId?: string;
}

const out = (text: string) => process.stdout.write(`ktsu deploy: ${text}\n`);
const err = (text: string) => process.stderr.write(`ktsu deploy: ${text}\n`);

/** A path as printed: relative to the working directory when it is below it, else absolute. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

/** Static-asset directories the orchestrator's config names that do not exist (wrangler refuses to deploy without them). */
async function missingAssets(): Promise<string[]> {
  const config = await rawConfig("orchestrator");
  const directory = config.assets?.directory;
  return directory && !existsSync(path.resolve(path.dirname(wranglerConfigPath("orchestrator")), directory)) ? [directory] : [];
}

function namesSummary(names: DeployNames): string {
  const workers = DEPLOY_ORDER.map((w) => names.workers[w]).join(", ");
  return `project ${names.project} (${names.projectNameFrom}), environment ${names.environment}: Workers ${workers}; D1 ${names.database}; queue ${names.queue} (dead letters: ${names.deadLetterQueue})`;
}

/** Runs the deploy; returns the exit code. */
export async function deploy(options: DeployOptions): Promise<number> {
  const upload = !options.dryRun;
  let names: DeployNames;
  let heartbeat: HeartbeatVars;
  let retention: RetentionVars;
  let envFileVars: Record<string, string>;
  let fromSecretsFile: Record<string, string>;
  try {
    names = deployNames(options.projectDir, options.environment);
    // The heartbeat pair, like `ktsu start`: the environment over the env file; checked before anything is built.
    envFileVars = options.envFile ? envFileVariables(options.envFile) : {};
    heartbeat = heartbeatVars({ ...envFileVars, ...process.env });
    retention = retentionVars({ ...envFileVars, ...process.env });
    fromSecretsFile = options.secretsFile ? parseSecretsFile(options.secretsFile) : {};
  } catch (error) {
    err(`${errorMessage(error)}; nothing was deployed`);
    return 1;
  }
  for (const warning of heartbeat.warnings) err(`warning: ${warning}`);
  const recorded = readState(options.projectDir).environments[names.environment];
  if (upload && !options.bootstrap && !recorded) {
    err(
      `${STATE_FILE} in ${shown(options.projectDir)} records nothing for environment ${names.environment}: ` +
        `the first deploy of an environment is \`ktsu deploy --bootstrap --environment ${names.environment}\` (it creates the D1 database and the queues); nothing was deployed`,
    );
    return 1;
  }
  const storeRefusal = postgresStoreRefusal(options, upload, recorded?.hyperdrive);
  if (storeRefusal) {
    err(`${storeRefusal}; nothing was deployed`);
    return 1;
  }
  if ((await missingAssets()).length > 0) {
    err("missing static assets of the orchestrator (the run viewer): build them first with npm run build:ui");
    return 1;
  }

  const outdir = path.resolve(options.outdir ?? path.join(options.projectDir, ".ktsu", "deploy", names.environment));
  const bundleFile = path.join(outdir, "project", "bundle.js");
  const built = await buildProject({
    projectDir: options.projectDir,
    outFile: bundleFile,
    workspaces: options.workspaces,
    hubLock: options.hubLock,
    ...(options.envFile ? { envFile: options.envFile } : {}),
    ...(options.gatewayConfig ? { gatewayFile: options.gatewayConfig } : {}),
  });
  if (built.report.noWorkflows) {
    err(`no workflow files found in ${built.report.projectDir}/${built.report.workflowDir}`);
    return 1;
  }
  if (!built.ok || !built.bundle) {
    process.stdout.write(renderReport(built.report));
    err("the project has validation errors; nothing was deployed");
    return 1;
  }
  process.stderr.write(renderWorkspaceNotes(built.report, "ktsu deploy"));
  out(namesSummary(names));
  out(`project bundle: ${shown(bundleFile)}`);

  const egressExtra = [process.env.KTSU_EGRESS_ALLOW, ...options.egressAllow].filter((v): v is string => !!v).join(",");
  const plan = deployPlan(built.bundle, envFileVars, egressExtra, { ...heartbeat, orchestrator: { ...heartbeat.orchestrator, ...retention.orchestrator } });
  const otel = otelVars({ ...envFileVars, ...process.env });
  addOtelVars(plan, otel);
  out(
    `heartbeat: the runtime beats every ${heartbeat.intervalMs} ms (${HEARTBEAT_INTERVAL}), the orchestrator fails a step after ${heartbeat.timeoutMs} ms without one (${HEARTBEAT_TIMEOUT})`,
  );
  out(retentionSummary(retention.days));
  const traces = otelSummary(otel);
  if (traces) out(traces);
  out(plan.egressAllow.length > 0 ? `gateway egress allowlist (KTSU_EGRESS_ALLOW): ${plan.egressAllow.join(", ")}` : "gateway egress allowlist: empty");
  for (const line of renderUnknownHosts(unknownEgressHosts(built.bundle, envFileVars), plan.egressAllow)) err(line);
  for (const v of plan.secretsInEnvFile) {
    err(
      `warning: ${options.envFile ?? "the env file"} sets ${v.name}, which is declared secret: not deployed as a plain var; give it in the environment or --secrets-file`,
    );
  }

  // Refusals, all collected before anything is created or uploaded.
  const refusals: string[] = [];
  const unstated = unstatedPublicWorkflows(built.bundle, options.public);
  if (unstated.length > 0) {
    refusals.push(
      `workflow(s) without invoke.auth, which anyone could invoke: ${unstated.join(", ")}; give them invoke.auth, or state that they are public with ${unstated.map((n) => `--public ${n}`).join(" ")}`,
    );
  }
  for (const name of strayPublicNames(built.bundle, options.public)) refusals.push(`--public ${name}: no root workflow without invoke.auth has that name`);
  // The environment's values win over the file's; an empty variable gives nothing.
  const fromEnvironment = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => !!e[1]));
  const given = { ...fromSecretsFile, ...fromEnvironment };
  const givenFrom: Record<string, string> = {};
  for (const name of Object.keys(fromSecretsFile)) givenFrom[name] = shown(options.secretsFile ?? "");
  for (const name of Object.keys(fromEnvironment)) givenFrom[name] = "the environment";
  const orchestratorSecrets = upload ? await existingSecrets(names.workers.orchestrator) : null;
  const gatewaySecrets = upload ? await existingSecrets(names.workers.gateway) : null;
  const existing = upload ? { orchestrator: orchestratorSecrets ?? new Set<string>(), gateway: gatewaySecrets ?? new Set<string>() } : null;
  // The orchestrator is the last Worker of either pass: once it exists, every Worker a binding names
  // exists by the time the normal pass needs it, and a pass without bindings would only cut a live
  // environment's bindings for a moment.
  const barePass = options.bootstrap && orchestratorSecrets === null;
  const secrets = resolveSecrets(plan, given, existing, upload, givenFrom);
  out("secrets:");
  for (const line of secrets.status) process.stdout.write(`  ${line}\n`);
  if (secrets.missing.length > 0) {
    refusals.push(
      `required variable(s) neither given nor set: ${secrets.missing.map((v) => `${v.name} (${v.worker})`).join(", ")}; ` +
        "give secrets in the environment or --secrets-file FILE, plain variables in --env FILE",
    );
  }
  if (refusals.length > 0) {
    for (const reason of refusals) err(upload ? `refused: ${reason}` : `warning: a real deploy refuses: ${reason}`);
    if (upload) {
      err("nothing was deployed");
      return 1;
    }
  }

  try {
    let databaseId = recorded?.d1.id ?? UNCREATED_D1_ID;
    if (upload && options.bootstrap) {
      const resources = await ensureResources(names, out);
      databaseId = resources.databaseId;
      await recordEnvironment(options.projectDir, names.environment, {
        d1: { name: names.database, id: databaseId },
        queues: { runs: names.queue, dead_letter: names.deadLetterQueue },
        workers: { ...names.workers },
        ...(recorded?.hyperdrive ? { hyperdrive: recorded.hyperdrive } : {}),
      });
      out(`recorded the ${names.environment} resources in ${shown(path.join(options.projectDir, STATE_FILE))} (ids only: commit it)`);
    }
    const { storeUrl } = options;
    const hyperdriveId = storeUrl ? await storeHyperdriveId(options.projectDir, names, { ...options, storeUrl, upload }, out) : undefined;
    const configs = await deployConfigs(names, databaseId, bundleFile, hyperdriveId);
    const files = await writeConfigs(configs, path.join(outdir, "config"));
    if (upload) {
      out(`applying the D1 migrations to ${names.database} (remote) before any Worker is uploaded`);
      await applyRemoteMigrations(files.orchestrator);
      if (storeUrl) {
        out(`applying the Postgres migrations to ${describeStoreUrl(storeUrl)} before any Worker is uploaded`);
        const applied = await applyPostgresMigrations(storeUrl);
        out(applied.length > 0 ? `applied ${applied.join(", ")}` : "the Postgres Store is up to date");
      }
    }
    const secretFileSet = await secretFiles(upload ? secrets.upload : {});
    try {
      if (options.bootstrap && !barePass) out(`${names.workers.orchestrator} exists: no pass without service bindings is needed`);
      if (barePass) {
        out(
          `bootstrap pass: ${upload ? "uploading" : "bundling"} tools, runtime and orchestrator without their service bindings (they bind each other in a cycle)`,
        );
        const bare = await writeConfigs(
          configs.filter((c) => c.worker !== "gateway").map((c) => ({ worker: c.worker, config: withoutServices(c.config) })),
          path.join(outdir, "bootstrap"),
        );
        for (const worker of DEPLOY_ORDER) {
          if (worker === "gateway") continue;
          const secretsFile = secretFileSet.files[worker];
          await buildWorker(bare[worker], path.join(outdir, "bootstrap", worker), bundleFile, {
            upload,
            vars: plan.vars[worker],
            ...(secretsFile ? { secretsFile } : {}),
          });
          out(`${names.workers[worker]}: ${upload ? "uploaded" : "bundled"} without service bindings`);
        }
      }
      for (const worker of DEPLOY_ORDER) {
        const secretsFile = secretFileSet.files[worker];
        const entry = await buildWorker(files[worker], path.join(outdir, worker), bundleFile, {
          upload,
          vars: plan.vars[worker],
          ...(secretsFile ? { secretsFile } : {}),
        });
        const vars = Object.keys(plan.vars[worker]);
        out(
          `${names.workers[worker]}: ${upload ? "deployed" : "bundled"} ${shown(entry)}${vars.length > 0 ? ` (vars: ${vars.join(", ")})` : ""}${upload ? "" : " (dry run: not uploaded)"}`,
        );
      }
    } finally {
      await secretFileSet.dispose();
    }
  } catch (error) {
    err(errorMessage(error));
    if (upload && !options.bootstrap) err("if wrangler said a service binding's Worker was not found, this is the first deploy: run ktsu deploy --bootstrap");
    if (secrets.generatedAdminToken) printAdminToken(secrets.generatedAdminToken, "it may already be set on the orchestrator");
    return 1;
  }
  if (secrets.generatedAdminToken) printAdminToken(secrets.generatedAdminToken, "set on the orchestrator");
  if (upload)
    out(`the API is ${names.workers.orchestrator} (https://${names.workers.orchestrator}.<your-subdomain>.workers.dev; wrangler printed the URL above)`);
  return 0;
}

/** Why a deploy's Postgres settings cannot work, checked before anything is built. */
function postgresStoreRefusal(options: DeployOptions, upload: boolean, recorded: { id: string } | undefined): string | null {
  if (options.storeUrl) return checkStoreUrl(options.storeUrl);
  if (options.hyperdriveId) return "--hyperdrive-id needs --store-url (or KTSU_STORE_URL): the Postgres migrations are applied with it";
  if (upload && recorded) {
    return `this environment keeps its Store in Postgres (Hyperdrive config ${recorded.id}): give --store-url (or KTSU_STORE_URL) so its migrations are applied`;
  }
  return null;
}

function printAdminToken(token: string, where: string): void {
  out(`generated the admin token (${where}); it is shown this once, keep it (export KTSU_ADMIN_TOKEN=… for ktsu):`);
  process.stdout.write(`KTSU_ADMIN_TOKEN=${token}\n`);
}
