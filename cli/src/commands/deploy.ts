// `ktsu deploy [DIR] [--env FILE] [--gateway-config FILE] [--dry-run] [--outdir DIR] [--bootstrap]`:
// build the project bundle, then `wrangler deploy` the four Workers in
// dependency order (tools, gateway, runtime, orchestrator), each with its
// `ktsu-project` import pointed at that bundle; then print the secrets the
// project needs (`wrangler secret put …`). Secret values are never read.
//
// The Workers bind each other in cycles (tools and runtime call the
// orchestrator, which calls them), and Cloudflare refuses a service binding to a
// Worker that does not exist yet. The first deploy therefore needs
// `--bootstrap`: a first pass uploads tools, runtime and orchestrator without
// their service bindings, then the normal pass uploads all four.

import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import type { ProjectBundle } from "../../../shared/bundle.ts";
import { envNamesRead, VALUE_FIELDS } from "../../../shared/values/index.ts";
import { buildProject } from "../build/index.ts";
import { noHubLockOption, projectDirFrom, type WorkspaceFlags, workspaceOption, workspaceOptions } from "../options.ts";
import { renderReport, renderWorkspaceNotes } from "../report/print.ts";
import { buildWorker } from "../stack/build-workers.ts";
import { HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT, type HeartbeatVars, heartbeatVars } from "../stack/heartbeat-vars.ts";
import { egressHosts, envFileVariables } from "../stack/project-vars.ts";
import { wranglerConfigPath, type WorkerName } from "../stack/paths.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

/** Upload order: each Worker after the ones it binds to (the orchestrator ↔ tools/runtime cycle aside). */
export const DEPLOY_ORDER: readonly WorkerName[] = ["tools", "gateway", "runtime", "orchestrator"];

/** The D1 id in the checked-in wrangler.orchestrator.jsonc until a real one is put there. */
export const PLACEHOLDER_D1_ID = "00000000-0000-0000-0000-000000000000";

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

/** A path as printed: relative to the working directory when it is below it, else absolute. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

function configArg(worker: WorkerName): string {
  const rel = path.relative(process.cwd(), wranglerConfigPath(worker));
  return rel.includes(" ") ? JSON.stringify(rel) : rel;
}

/** The `wrangler secret put` lines (and the other reminders) `ktsu deploy` prints. */
export function renderNeeds(plan: DeployPlan, envFile?: string): string {
  const lines: string[] = [];
  const width = Math.max(0, ...[...plan.secrets, ...plan.unset].map((v) => `wrangler secret put ${v.name} -c ${configArg(v.worker)}`.length));
  const line = (v: DeclaredVariable) => {
    const command = `wrangler secret put ${v.name} -c ${configArg(v.worker)}`;
    return `  ${command.padEnd(width)}  # ${v.declaredBy.join(", ")}`;
  };
  if (plan.secrets.length === 0) lines.push("secrets: none declared");
  else {
    lines.push("secrets the project needs (set each once; wrangler asks for the value, ktsu never reads it):");
    lines.push(...plan.secrets.map(line));
  }
  if (plan.unset.length > 0) {
    lines.push("variables without a default and not in --env (set them the same way, or pass --env FILE):");
    lines.push(...plan.unset.map(line));
  }
  const orchestrator = configArg("orchestrator");
  lines.push(
    "orchestrator settings (set once; see docs/deploy.md):",
    `  openssl rand -base64 32 | wrangler secret put KTSU_STATE_KEY -c ${orchestrator}  # encrypts secret params in run state; never change it while runs exist`,
    `  wrangler secret put KTSU_ADMIN_TOKEN -c ${orchestrator}  # guards /runs, events and approvals; ktsu sends $KTSU_ADMIN_TOKEN`,
  );
  lines.push(
    plan.egressAllow.length > 0
      ? `gateway egress allowlist (KTSU_EGRESS_ALLOW): ${plan.egressAllow.join(", ")}`
      : "gateway egress allowlist: empty (webhooks and external MCP servers are refused; give their variables a value in --env, or list hosts in KTSU_EGRESS_ALLOW)",
  );
  for (const v of plan.secretsInEnvFile) {
    lines.push(`warning: ${envFile ?? "the env file"} sets ${v.name}, which is declared secret: it was not deployed as a plain var; use wrangler secret put`);
  }
  return `${lines.join("\n")}\n`;
}

type RawConfig = Record<string, unknown> & {
  main?: string;
  alias?: Record<string, string>;
  d1_databases?: { migrations_dir?: string }[];
  assets?: { directory?: string };
  site?: { bucket?: string };
  build?: { cwd?: string; watch_dir?: string | string[] };
  tsconfig?: string;
  base_dir?: string;
};

/** The wrangler config of a Worker as written (JSONC parsed by wrangler itself). */
async function rawConfig(worker: WorkerName): Promise<RawConfig> {
  const { experimental_readRawConfig } = await import("wrangler");
  return structuredClone(experimental_readRawConfig({ config: wranglerConfigPath(worker) }).rawConfig) as RawConfig;
}

/**
 * A copy of a Worker's wrangler config without its service bindings (the
 * bootstrap pass), with its relative paths made absolute so it works from `dir`.
 */
async function bootstrapConfig(worker: WorkerName, dir: string): Promise<string> {
  const config = await rawConfig(worker);
  const base = path.dirname(wranglerConfigPath(worker));
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));
  delete config.$schema;
  delete config.services;
  if (config.main) config.main = abs(config.main);
  if (config.tsconfig) config.tsconfig = abs(config.tsconfig);
  if (config.base_dir) config.base_dir = abs(config.base_dir);
  if (config.alias) config.alias = Object.fromEntries(Object.entries(config.alias).map(([k, v]) => [k, v.startsWith(".") ? abs(v) : v]));
  for (const db of config.d1_databases ?? []) if (db.migrations_dir) db.migrations_dir = abs(db.migrations_dir);
  if (config.assets?.directory) config.assets.directory = abs(config.assets.directory);
  if (config.site?.bucket) config.site.bucket = abs(config.site.bucket);
  if (config.build?.cwd) config.build.cwd = abs(config.build.cwd);
  if (config.build?.watch_dir) config.build.watch_dir = Array.isArray(config.build.watch_dir) ? config.build.watch_dir.map(abs) : abs(config.build.watch_dir);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `wrangler.${worker}.json`);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** Static-asset directories the configs name that do not exist (wrangler refuses to deploy without them). */
async function missingAssets(): Promise<string[]> {
  const missing: string[] = [];
  for (const worker of DEPLOY_ORDER) {
    const directory = (await rawConfig(worker)).assets?.directory;
    if (!directory) continue;
    const full = path.resolve(path.dirname(wranglerConfigPath(worker)), directory);
    if (!existsSync(full)) missing.push(`${shown(full)} (assets of ${configArg(worker)})`);
  }
  return missing;
}

function placeholderDatabase(): boolean {
  return readFileSync(wranglerConfigPath("orchestrator"), "utf8").includes(PLACEHOLDER_D1_ID);
}

interface DeployFlags extends WorkspaceFlags {
  projectDir?: string;
  env?: string;
  gatewayConfig?: string;
  dryRun?: boolean;
  outdir?: string;
  bootstrap?: boolean;
}

export function register(program: Command): void {
  program
    .command("deploy")
    .description("build the project and deploy the four Workers with wrangler (tools, gateway, runtime, orchestrator)")
    .argument("[dir]", "project directory (default: KTSU_PROJECT_DIR or .)")
    .option("--project-dir <dir>", "project directory")
    .option("--env <file>", "env file: its values for declared non-secret variables are deployed as plain vars")
    .option("--gateway-config <file>", "gateway config to bundle instead of <project>/gateway.yaml")
    .option("--dry-run", "bundle everything (offline) without uploading")
    .option("--outdir <dir>", "build directory (default: <project>/.ktsu/deploy)")
    .option("--bootstrap", "first deploy: upload the Workers without their service bindings first (they bind each other in a cycle)")
    .addOption(workspaceOption())
    .addOption(noHubLockOption())
    .action(async (dir: string | undefined, flags: DeployFlags) => {
      const projectDir = projectDirFrom(dir, flags.projectDir);
      const workspaces = workspaceOptions(flags);
      const outdir = path.resolve(flags.outdir ?? path.join(projectDir, ".ktsu", "deploy"));
      const upload = !flags.dryRun;
      const say = (text: string) => process.stdout.write(`ktsu deploy: ${text}\n`);

      if (upload && placeholderDatabase()) {
        process.stderr.write(
          `ktsu deploy: ${path.relative(process.cwd(), wranglerConfigPath("orchestrator"))} still has the placeholder D1 database_id ${PLACEHOLDER_D1_ID}.\n` +
            "  Create the database (wrangler d1 create ktsu) and put its id there first; see docs/deploy.md.\n",
        );
        process.exitCode = 1;
        return;
      }

      // The heartbeat pair, like `ktsu start`: the environment over the env file; checked before anything is built.
      const envFileVars = flags.env ? envFileVariables(flags.env) : {};
      let heartbeat: HeartbeatVars;
      try {
        heartbeat = heartbeatVars({ ...envFileVars, ...process.env });
      } catch (error) {
        process.stderr.write(`ktsu deploy: ${errorMessage(error)}; nothing was deployed\n`);
        process.exitCode = 1;
        return;
      }
      for (const warning of heartbeat.warnings) process.stderr.write(`ktsu deploy: warning: ${warning}\n`);

      const missing = await missingAssets();
      if (missing.length > 0) {
        process.stderr.write(`ktsu deploy: missing static assets, build them first (npm run build:ui): ${missing.join(", ")}\n`);
        process.exitCode = 1;
        return;
      }

      const bundleFile = path.join(outdir, "project", "bundle.js");
      const built = await buildProject({
        projectDir,
        outFile: bundleFile,
        ...workspaces,
        ...(flags.env ? { envFile: flags.env } : {}),
        ...(flags.gatewayConfig ? { gatewayFile: flags.gatewayConfig } : {}),
      });
      if (built.report.noWorkflows) {
        process.stderr.write(`ktsu deploy: no workflow files found in ${built.report.projectDir}/${built.report.workflowDir}\n`);
        process.exitCode = 1;
        return;
      }
      if (!built.ok || !built.bundle) {
        process.stdout.write(renderReport(built.report));
        process.stderr.write("ktsu deploy: the project has validation errors; nothing was deployed\n");
        process.exitCode = 1;
        return;
      }
      process.stderr.write(renderWorkspaceNotes(built.report, "ktsu deploy"));
      say(`project bundle: ${shown(bundleFile)}`);

      const plan = deployPlan(built.bundle, envFileVars, process.env.KTSU_EGRESS_ALLOW, heartbeat);
      say(
        `heartbeat: the runtime beats every ${heartbeat.intervalMs} ms (${HEARTBEAT_INTERVAL}), the orchestrator fails a step after ${heartbeat.timeoutMs} ms without one (${HEARTBEAT_TIMEOUT})`,
      );
      try {
        if (flags.bootstrap) {
          say(`bootstrap pass: ${upload ? "uploading" : "bundling"} tools, runtime and orchestrator without their service bindings`);
          for (const worker of DEPLOY_ORDER) {
            if (worker === "gateway") continue;
            const config = await bootstrapConfig(worker, path.join(outdir, "bootstrap"));
            await buildWorker(config, path.join(outdir, "bootstrap", worker), bundleFile, { upload, vars: plan.vars[worker] });
            say(`${worker}: ${upload ? "uploaded" : "bundled"} without service bindings`);
          }
        }
        for (const worker of DEPLOY_ORDER) {
          const workerOut = path.join(outdir, worker);
          if (upload) say(`${worker}: wrangler deploy -c ${configArg(worker)}`);
          const entry = await buildWorker(wranglerConfigPath(worker), workerOut, bundleFile, { upload, vars: plan.vars[worker] });
          const vars = Object.keys(plan.vars[worker]);
          say(
            `${worker}: ${upload ? "deployed" : "bundled"} ${shown(entry)}${vars.length > 0 ? ` (vars: ${vars.join(", ")})` : ""}${upload ? "" : " (dry run: not uploaded)"}`,
          );
        }
      } catch (error) {
        process.stderr.write(`ktsu deploy: ${errorMessage(error)}\n`);
        if (upload && !flags.bootstrap) {
          process.stderr.write(
            "ktsu deploy: if wrangler said a service binding's Worker was not found, this is the first deploy: run ktsu deploy --bootstrap\n",
          );
        }
        process.exitCode = 1;
        return;
      }
      process.stdout.write(renderNeeds(plan, flags.env));
      if (upload) {
        say("next: apply the D1 migrations if there are new ones: wrangler d1 migrations apply DB --remote -c wrangler.orchestrator.jsonc");
      }
    });
}
