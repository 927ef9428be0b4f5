import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ProjectBundle } from "../../../shared/bundle.ts";
import type { ValidationReport } from "../../../shared/compiler/report.ts";
import { ensureUi } from "../../../ui/build.ts";
import { buildProject, type BuildOptions } from "../build/index.ts";
import { heartbeatVars } from "./heartbeat-vars.ts";
import { otelVars } from "./otel-vars.ts";
import { retentionVars } from "./retention-vars.ts";
import { egressHosts, envFileVariables, workerVars } from "./project-vars.ts";
import { checkProviderVars, checkWorkersAi } from "./provider-vars.ts";
import { startStack, type LocalStack, type StackOptions } from "./stack.ts";
import { stateDirOf } from "./state-dir.ts";

export interface StartLocalOptions {
  projectDir: string;
  /** `--env FILE`: its `variables` are injected under the process environment (which wins). */
  envFile?: string;
  /** `--workflow-dir DIR`: instead of `<project>/workflows`. */
  workflowDir?: string;
  /** `--gateway-config FILE`: used instead of `<project>/gateway.yaml`. */
  gatewayConfig?: string;
  /** `--workspace DIR…`: other projects whose workflows are served too, looked up after this one in order. */
  workspaces?: string[];
  /** Load the workspaces `<project>/ktsuhub.lock.yaml` lists (default true; false is `--no-hub-lock`). */
  hubLock?: boolean;
  /** Where state and builds live; default `<project>/.ktsu`. */
  stateDir?: string;
  host?: string;
  port?: number;
  /** `--secure`: behave as deployed (admin routes closed unless KTSU_ADMIN_TOKEN is set). */
  secure?: boolean;
  /** The environment the project's declared variables are read from (default: process.env). */
  environment?: Record<string, string | undefined>;
  /** Passed through to the stack (benchmarks). */
  extraWorkers?: StackOptions["extraWorkers"];
  /** `--store-url`: keep the Store in this Postgres database instead of D1. */
  storeUrl?: string;
  /** A local Worker (one of `extraWorkers`) bound as the gateway's `AI`; without it a Workers AI provider refuses the start. */
  aiStandIn?: StackOptions["aiStandIn"];
  /** Each line the Workers log (default: Miniflare prints it). */
  onLog?: StackOptions["onLog"];
  /** Rewrites the built project before it is served (see BuildOptions.transformBundle). */
  transformBundle?: BuildOptions["transformBundle"];
}

export interface StartedProject {
  stack: LocalStack;
  bundle: ProjectBundle;
  report: ValidationReport;
  stateDir: string;
  /** Whether the orchestrator has an admin token (from the environment or the env file). */
  adminTokenSet: boolean;
  /** Settings that work but are risky (a heartbeat interval close to the timeout). */
  warnings: string[];
}

/** The project did not validate; `report` says why. */
export class InvalidProjectError extends Error {
  readonly report: ValidationReport;
  constructor(report: ValidationReport) {
    super("the project has validation errors");
    this.report = report;
  }
}

/** Orchestrator settings passed through from the environment when set (the heartbeat pair: heartbeat-vars.ts). */
const ORCHESTRATOR_SETTINGS = ["KTSU_ADMIN_TOKEN", "KTSU_STATE_KEY", "KTSU_ALLOWED_HOSTS"];

/**
 * The key secret params are encrypted with in run state: one per state dir, kept
 * beside the state (never inside it) so runs survive a restart.
 */
export function stateKey(stateDir: string): string {
  const file = path.join(stateDir, "state.key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(stateDir, { recursive: true });
  const key = randomBytes(32).toString("base64");
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** A project built and checked, with what each Worker is given: what a start or a reload runs on. */
export interface PreparedProject {
  bundle: ProjectBundle;
  report: ValidationReport;
  stateDir: string;
  stackOptions: Pick<StackOptions, "projectBundle" | "vars" | "egressAllow">;
  adminTokenSet: boolean;
  warnings: string[];
}

/**
 * Builds the project bundle and works out the Workers' vars; throws InvalidProjectError (and the
 * setting errors) when the project cannot run. Nothing is started.
 */
export async function prepareProject(options: StartLocalOptions): Promise<PreparedProject> {
  const environment = { ...(options.envFile ? envFileVariables(options.envFile) : {}), ...(options.environment ?? process.env) };
  // Before the build: a heartbeat pair that cannot work is refused at once.
  const heartbeat = heartbeatVars(environment);
  const retention = retentionVars(environment);
  const projectDir = path.resolve(options.projectDir);
  const stateDir = stateDirOf(options);
  const built = await buildProject({
    projectDir,
    outFile: path.join(stateDir, "project", "bundle.js"),
    ...(options.workspaces ? { workspaces: options.workspaces } : {}),
    ...(options.hubLock !== undefined ? { hubLock: options.hubLock } : {}),
    ...(options.envFile ? { envFile: options.envFile } : {}),
    ...(options.gatewayConfig ? { gatewayFile: options.gatewayConfig } : {}),
    ...(options.workflowDir ? { workflowDir: options.workflowDir } : {}),
    ...(options.transformBundle ? { transformBundle: options.transformBundle } : {}),
  });
  if (!built.ok || !built.bundle) throw new InvalidProjectError(built.report);

  const base = workerVars(built.bundle, environment);
  // As the original does: a provider whose variables are unset fails the start, not the first LLM call.
  checkProviderVars(built.bundle.gateway, base.gateway);
  checkWorkersAi(built.bundle.gateway, options.aiStandIn !== undefined);
  const otel = otelVars(environment);
  const vars = {
    ...base,
    orchestrator: { ...base.orchestrator, ...heartbeat.orchestrator, ...retention.orchestrator, ...otel.orchestrator },
    gateway: { ...base.gateway, ...otel.gateway, ...otel.headers },
    runtime: heartbeat.runtime,
  };
  vars.orchestrator.KTSU_STATE_KEY = stateKey(stateDir);
  for (const name of ORCHESTRATOR_SETTINGS) {
    const value = environment[name];
    if (value !== undefined) vars.orchestrator[name] = value;
  }
  return {
    bundle: built.bundle,
    report: built.report,
    stateDir,
    stackOptions: { projectBundle: built.outFile, vars, egressAllow: egressHosts(built.bundle, environment) },
    adminTokenSet: Boolean(vars.orchestrator.KTSU_ADMIN_TOKEN),
    warnings: heartbeat.warnings,
  };
}

/**
 * Builds the project and runs it on the local stack: what `ktsu start --all`
 * and `npm start` do, and what the stack tests use.
 */
export async function startLocalProject(options: StartLocalOptions): Promise<StartedProject> {
  const prepared = await prepareProject(options);
  // The orchestrator serves the web run viewer from dist/assets (its wrangler `assets`); build it when stale.
  await ensureUi();
  const stack = await startStack({
    ...prepared.stackOptions,
    stateDir: prepared.stateDir,
    ...(options.host ? { host: options.host } : {}),
    ...(options.secure ? { secure: true } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.extraWorkers ? { extraWorkers: options.extraWorkers } : {}),
    ...(options.storeUrl ? { storeUrl: options.storeUrl } : {}),
    ...(options.aiStandIn ? { aiStandIn: options.aiStandIn } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  const { bundle, report, stateDir, adminTokenSet, warnings } = prepared;
  return { stack, bundle, report, stateDir, adminTokenSet, warnings };
}
