// `ktsu validate [DIR]`: check a project and print the grouped report (or,
// with --graph, the Mermaid step graphs). Exit 1 on any error. The workflows of
// --workspace dirs and of the hub lock's entries are checked with the project's.

import type { Command } from "commander";
import { compileProject } from "../../../shared/compiler/compile.ts";
import { join } from "../../../shared/compiler/paths.ts";
import { nodeProjectFs } from "../fs.ts";
import { homedir } from "node:os";
import { noHubLockOption, projectDirFrom, resolveOptional, type WorkspaceFlags, workspaceOption, workspaceOptions } from "../options.ts";
import { renderMermaid, renderReport } from "../report/print.ts";
import { renderUnknownHosts, unknownEgressHosts } from "../stack/egress-warnings.ts";
import { envFileVariables } from "../stack/project-vars.ts";

interface ValidateFlags extends WorkspaceFlags {
  projectDir?: string;
  workflowDir?: string;
  env?: string;
  gatewayConfig?: string;
  graph?: boolean;
}

export function register(program: Command): void {
  program
    .command("validate")
    .description("validate a project: workflows, agents, servers, gateway")
    .argument("[dir]", "project directory (default: KTSU_PROJECT_DIR or .)")
    .option("--project-dir <dir>", "project directory")
    .option("--workflow-dir <dir>", "workflow directory (default: <project>/workflows)")
    .option("--env <file>", "env file to parse-check")
    .option("--gateway-config <file>", "gateway config to check instead of <project>/gateway.yaml")
    .option("--graph", "print each workflow's step DAG as Mermaid")
    .addOption(workspaceOption())
    .addOption(noHubLockOption())
    .action((dir: string | undefined, flags: ValidateFlags) => {
      const projectDir = projectDirFrom(dir, flags.projectDir);
      const workflowDir = resolveOptional(flags.workflowDir);
      const envFile = resolveOptional(flags.env);
      const gatewayFile = resolveOptional(flags.gatewayConfig);
      const { workspaces, hubLock } = workspaceOptions(flags);
      const result = compileProject(nodeProjectFs(), {
        projectDir,
        ...(workflowDir !== undefined ? { workflowDir } : {}),
        ...(envFile !== undefined ? { envFile } : {}),
        ...(gatewayFile !== undefined ? { gatewayFile } : {}),
        workspaces,
        hubLock: hubLock ? "load" : "ignore",
        homeDir: homedir(),
      });

      if (result.report.noWorkflows) {
        process.stderr.write(`no workflow files found in ${workflowDir ?? join(projectDir, "workflows")}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(flags.graph ? renderMermaid(result.report.graphs) : renderReport(result.report));
      if (result.bundle && !flags.graph) {
        // Hosts the egress allowlist cannot name: the env file's values count, secrets are never known here.
        const known = envFile !== undefined && result.ok ? envFileVariables(envFile) : {};
        for (const line of renderUnknownHosts(unknownEgressHosts(result.bundle, known))) process.stderr.write(`${line}\n`);
      }
      if (!result.ok) {
        if (!flags.graph) process.stderr.write("validation failed\n");
        process.exitCode = 1;
      }
    });
}
