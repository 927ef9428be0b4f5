// `ktsu deploy [DIR] [--environment NAME] [--env FILE] [--secrets-file FILE] [--bootstrap] [--dry-run] …`:
// build the project bundle, then `wrangler deploy` the four Workers in
// dependency order (tools, gateway, runtime, orchestrator) under names derived
// from the project and the environment, each with its secrets in the same
// upload. `--bootstrap` (the first deploy of an environment) also creates the
// D1 database and the queues and records them in the project's ktsu-deploy.json.
// The steps are in ../deploy/run.ts; docs/deploy.md walks a first deploy.

import type { Command } from "commander";
import { DEFAULT_ENVIRONMENT } from "../deploy/names.ts";
import { noHubLockOption, projectDirFrom, resolveOptional, type WorkspaceFlags, workspaceOption, workspaceOptions } from "../options.ts";

export { DEPLOY_ORDER } from "../deploy/run.ts";

interface DeployFlags extends WorkspaceFlags {
  projectDir?: string;
  environment: string;
  env?: string;
  secretsFile?: string;
  gatewayConfig?: string;
  dryRun?: boolean;
  outdir?: string;
  bootstrap?: boolean;
  public?: string[];
  egressAllow?: string[];
  storeUrl?: string;
  hyperdriveId?: string;
}

/** Repeatable, comma-separated list options. */
const list = (value: string, previous: string[] | undefined) => [
  ...(previous ?? []),
  ...value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean),
];

export function register(program: Command): void {
  program
    .command("deploy")
    .description("build the project and deploy the four Workers with wrangler, named after the project and the environment")
    .argument("[dir]", "project directory (default: KTSU_PROJECT_DIR or .)")
    .option("--project-dir <dir>", "project directory")
    .option("--environment <name>", "deployment environment: part of every name (Workers, D1, queues)", DEFAULT_ENVIRONMENT)
    .option("--env <file>", "env file: its values for declared non-secret variables are deployed as plain vars")
    .option("--secrets-file <file>", "secret values (NAME=value lines or a JSON object); the environment's values win")
    .option("--gateway-config <file>", "gateway config to bundle instead of <project>/gateway.yaml")
    .option("--dry-run", "bundle everything (offline) without creating or uploading anything")
    .option("--outdir <dir>", "build directory (default: <project>/.ktsu/deploy/<environment>)")
    .option("--bootstrap", "first deploy of an environment: create the D1 database and the queues, then upload without service bindings first")
    .option("--public <workflows>", "state that these workflows without invoke.auth may be invoked by anyone (repeatable, comma-separated)", list)
    .option("--egress-allow <hosts>", "more hosts webhooks and MCP servers may reach (repeatable, comma-separated)", list)
    .option("--store-url <url>", "keep the Store in this Postgres database (postgres://…) through Hyperdrive instead of D1 (default: KTSU_STORE_URL)")
    .option("--hyperdrive-id <id>", "with --store-url: bind this existing Hyperdrive config instead of creating one")
    .addOption(workspaceOption())
    .addOption(noHubLockOption())
    .action(async (dir: string | undefined, flags: DeployFlags) => {
      const { workspaces, hubLock } = workspaceOptions(flags);
      const envFile = resolveOptional(flags.env);
      const secretsFile = resolveOptional(flags.secretsFile);
      const gatewayConfig = resolveOptional(flags.gatewayConfig);
      const storeUrl = flags.storeUrl ?? (process.env.KTSU_STORE_URL || undefined);
      // Loaded here, not with the CLI: deploying needs modules that take over a second to import.
      const { deploy } = await import("../deploy/run.ts");
      process.exitCode = await deploy({
        projectDir: projectDirFrom(dir, flags.projectDir),
        environment: flags.environment,
        ...(envFile ? { envFile } : {}),
        ...(secretsFile ? { secretsFile } : {}),
        ...(gatewayConfig ? { gatewayConfig } : {}),
        ...(flags.outdir ? { outdir: flags.outdir } : {}),
        dryRun: flags.dryRun === true,
        bootstrap: flags.bootstrap === true,
        public: flags.public ?? [],
        egressAllow: flags.egressAllow ?? [],
        workspaces,
        hubLock,
        ...(storeUrl ? { storeUrl } : {}),
        ...(flags.hyperdriveId ? { hyperdriveId: flags.hyperdriveId } : {}),
      });
    });
}
