// `ktsu build [DIR] --out FILE`: validate, then write the bundle module the
// Workers import.

import type { Command } from "commander";
import { buildProject } from "../build/index.ts";
import { noHubLockOption, projectDirFrom, type WorkspaceFlags, workspaceOption, workspaceOptions } from "../options.ts";
import { renderReport, renderWorkspaceNotes } from "../report/print.ts";

interface BuildFlags extends WorkspaceFlags {
  out: string;
  projectDir?: string;
  workflowDir?: string;
  env?: string;
  gatewayConfig?: string;
}

export function register(program: Command): void {
  program
    .command("build")
    .description("validate a project and write its bundle module for the Workers")
    .argument("[dir]", "project directory (default: KTSU_PROJECT_DIR or .)")
    .requiredOption("--out <file>", "bundle module to write (parent directories are created)")
    .option("--project-dir <dir>", "project directory")
    .option("--workflow-dir <dir>", "workflow directory (default: <project>/workflows)")
    .option("--env <file>", "env file to parse-check")
    .option("--gateway-config <file>", "gateway config to bundle instead of <project>/gateway.yaml")
    .addOption(workspaceOption())
    .addOption(noHubLockOption())
    .action(async (dir: string | undefined, flags: BuildFlags) => {
      const result = await buildProject({
        ...workspaceOptions(flags),
        projectDir: projectDirFrom(dir, flags.projectDir),
        outFile: flags.out,
        ...(flags.workflowDir !== undefined ? { workflowDir: flags.workflowDir } : {}),
        ...(flags.env !== undefined ? { envFile: flags.env } : {}),
        ...(flags.gatewayConfig !== undefined ? { gatewayFile: flags.gatewayConfig } : {}),
      });
      if (result.report.noWorkflows) {
        process.stderr.write(`no workflow files found in ${result.report.projectDir}/${result.report.workflowDir}\n`);
        process.exitCode = 1;
        return;
      }
      if (!result.ok) {
        process.stdout.write(renderReport(result.report));
        process.stderr.write("validation failed; bundle not written\n");
        process.exitCode = 1;
        return;
      }
      process.stderr.write(renderWorkspaceNotes(result.report, "ktsu build"));
      const warnings = result.report.warnings.length;
      process.stdout.write(
        `wrote ${result.outFile}${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? "" : "s"}; run ktsu validate to see them)` : ""}\n`,
      );
    });
}
