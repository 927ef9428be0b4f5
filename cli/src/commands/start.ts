// `ktsu start --all`: build the project and run the four Workers locally.

import path from "node:path";
import type { Command } from "commander";
import { renderReport, renderWorkspaceNotes } from "../report/print.ts";
import { HeartbeatSettingError } from "../stack/heartbeat-vars.ts";
import { ProviderSettingError, WorkersAiOfflineError } from "../stack/provider-vars.ts";
import { RetentionSettingError } from "../stack/retention-vars.ts";
import { checkStoreUrl, describeStoreUrl, StoreUrlError } from "../stack/store-url.ts";
import { stackLogFile, teeWorkerLogs } from "../stack/log-file.ts";
import type { StartLocalOptions } from "../stack/start-local.ts";
import { stateDirOf } from "../stack/state-dir.ts";
import { originalStartFlags, registerStartAliases } from "./start-aliases.ts";
import { noHubLockOption, projectDirFrom, type WorkspaceFlags, workspaceOption, workspaceOptions } from "../options.ts";

interface StartFlags extends WorkspaceFlags {
  all?: boolean;
  projectDir?: string;
  env?: string;
  gatewayConfig?: string;
  stateDir?: string;
  host?: string;
  port?: string;
  orchestratorHost?: string;
  orchestratorPort?: string;
  workflowDir?: string;
  secure?: boolean;
  storeUrl?: string;
  watch?: boolean;
}

/** What the banner says about the admin routes (/runs*, events, approvals, /workflows, the viewer's data). */
function accessLine(secure: boolean, tokenSet: boolean): string {
  if (tokenSet) return "ktsu: admin routes need the admin token (KTSU_ADMIN_TOKEN; send Authorization: Bearer <token>, or --token with ktsu)";
  if (secure) {
    return "ktsu: --secure and no KTSU_ADMIN_TOKEN: every admin request is refused (401); set one: KTSU_ADMIN_TOKEN=<token> ktsu start --all --secure";
  }
  return "ktsu: admin routes are OPEN (no KTSU_ADMIN_TOKEN; local only): set KTSU_ADMIN_TOKEN, or use --secure to behave as deployed";
}

function port(flag: string | undefined): number {
  for (const candidate of [flag, process.env.KTSU_ORCHESTRATOR_PORT]) {
    const n = Number(candidate);
    if (candidate !== undefined && Number.isInteger(n) && n >= 0 && n < 65536) return n;
  }
  return 5050;
}

export function register(program: Command): void {
  const start = program
    .command("start")
    .description("run the project on the local stack (orchestrator, runtime, gateway and tools in one workerd)")
    .option("--all", "start all four Workers (the only mode: they share one local workerd)")
    .option("--project-dir <dir>", "project directory (default: KTSU_PROJECT_DIR or .)")
    .option("--env <file>", "env file whose variables are injected (the process environment wins)")
    .option("--gateway-config <file>", "gateway config to use instead of <project>/gateway.yaml")
    .option("--state-dir <dir>", "where D1, Durable Objects and builds persist (default: <project>/.ktsu)")
    .option("--host <host>", "address to listen on (default: KTSU_ORCHESTRATOR_HOST or 127.0.0.1)")
    .option("--port <port>", "orchestrator port (default: KTSU_ORCHESTRATOR_PORT or 5050)")
    .option("--orchestrator-host <host>", "the original's name for --host")
    .option("--orchestrator-port <port>", "the original's name for --port")
    .option("--workflow-dir <dir>", "workflow directory (default: <project>/workflows)")
    .option("--secure", "behave as deployed: without KTSU_ADMIN_TOKEN every admin request is refused")
    .option("--store-url <url>", "keep the Store in this Postgres database (postgres://…) instead of D1 (default: KTSU_STORE_URL)")
    .option("--watch", "rebuild and reload when the project's files change (a project with errors keeps the last good version running)")
    .addOption(workspaceOption())
    .addOption(noHubLockOption())
    .action(async (flags: StartFlags, command: Command) => {
      if (!flags.all) {
        command.help({ error: true });
        return;
      }
      const projectDir = projectDirFrom(undefined, flags.projectDir);
      const storeUrl = flags.storeUrl ?? process.env.KTSU_STORE_URL;
      const badStoreUrl = storeUrl ? checkStoreUrl(storeUrl) : null;
      if (badStoreUrl) {
        process.stderr.write(`ktsu start: ${badStoreUrl}; nothing was started\n`);
        process.exitCode = 1;
        return;
      }
      const startOptions: StartLocalOptions = {
        projectDir,
        ...workspaceOptions(flags),
        ...(flags.env ? { envFile: flags.env } : {}),
        ...(flags.gatewayConfig ? { gatewayConfig: flags.gatewayConfig } : {}),
        ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
        ...(flags.workflowDir ? { workflowDir: flags.workflowDir } : {}),
        host: flags.host ?? flags.orchestratorHost ?? process.env.KTSU_ORCHESTRATOR_HOST ?? "127.0.0.1",
        port: port(flags.port ?? flags.orchestratorPort),
        ...(flags.secure ? { secure: true } : {}),
        ...(storeUrl ? { storeUrl } : {}),
      };
      // The Workers' log lines also go to a file under the state dir, for `ktsu logs`.
      const logFile = stackLogFile(stateDirOf(startOptions));
      // Loaded here, not with the CLI: the stack's modules (wrangler, Miniflare) take over a second to import.
      const { InvalidProjectError, startLocalProject } = await import("../stack/start-local.ts");
      let started: Awaited<ReturnType<typeof startLocalProject>>;
      try {
        started = await startLocalProject({ ...startOptions, onLog: teeWorkerLogs(logFile) });
      } catch (err) {
        if (err instanceof ProviderSettingError) {
          process.stderr.write(
            `ktsu start: the gateway's providers cannot start:\n${err.problems.map((p) => `  ${p}\n`).join("")}ktsu start: set them (or --env FILE); nothing was started\n`,
          );
          process.exitCode = 1;
          return;
        }
        if (
          err instanceof WorkersAiOfflineError ||
          err instanceof HeartbeatSettingError ||
          err instanceof RetentionSettingError ||
          err instanceof StoreUrlError
        ) {
          process.stderr.write(`ktsu start: ${err.message}; nothing was started\n`);
          process.exitCode = 1;
          return;
        }
        if (err instanceof InvalidProjectError) {
          process.stdout.write(renderReport(err.report));
          process.stderr.write("ktsu start: the project has validation errors; nothing was started\n");
          process.exitCode = 1;
          return;
        }
        throw err;
      }
      const { stack, bundle, stateDir, report, warnings, adminTokenSet } = started;
      process.stderr.write(renderWorkspaceNotes(report, "ktsu"));
      for (const warning of warnings) process.stderr.write(`ktsu: warning: ${warning}\n`);
      process.once("exit", () => void stack.dispose());
      const url = stack.url.href.replace("127.0.0.1", "localhost").replace(/\/$/, "");
      const roots = Object.values(bundle.workflows).filter((w) => w.invoke_name && w.visibility === "root");
      const names = roots.map((w) => w.invoke_name!);
      const example = roots[0] ? JSON.stringify(Object.fromEntries(roots[0].params.required.map((p) => [p, "world"]))) : "{}";
      const lines = [
        `ktsu: project ${path.relative(process.cwd(), projectDir) || "."}: ${names.length} workflow(s): ${names.join(", ") || "(none)"}`,
        `ktsu: orchestrator listening on ${url}`,
        `ktsu: run viewer at ${url}/ui/`,
        `ktsu: runtime, gateway and tools run in the same workerd, reachable only through service bindings`,
        accessLine(flags.secure === true, adminTokenSet),
        `ktsu: state in ${path.relative(process.cwd(), stateDir) || stateDir}`,
        ...(storeUrl ? [`ktsu: the Store is in Postgres at ${describeStoreUrl(storeUrl)} (through a local Hyperdrive binding)`] : []),
        ...(names[0] ? [`ktsu: try   curl -s -X POST ${url}/invoke/${names[0]} -H 'content-type: application/json' -d '${example}'`] : []),
        `ktsu: logs also go to ${path.relative(process.cwd(), logFile) || logFile} (follow them with: ktsu logs --follow)`,
        ...(flags.watch ? [`ktsu: watching the project's files: a change rebuilds and reloads it`] : []),
        `ktsu: press Ctrl+C to stop`,
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
      if (flags.watch) (await import("../stack/dev-loop.ts")).startDevLoop({ start: startOptions, stack, stateDir, logFile });
      // Miniflare's own signal handlers stop workerd and exit with the conventional 128+signal code.
      const say = () => process.stdout.write("ktsu: stopping\n");
      process.prependOnceListener("SIGINT", say);
      process.prependOnceListener("SIGTERM", say);
    });
  originalStartFlags(start);
  registerStartAliases(start);
}
