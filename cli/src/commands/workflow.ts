// `ktsu workflow tree FILE [--json]`: the sub-workflows, agents and servers a
// workflow reaches.

import { resolve } from "node:path";
import type { Command } from "commander";
import { workflowTree } from "../../../shared/compiler/tree.ts";
import { nodeProjectFs } from "../fs.ts";
import { projectDirForWorkflow } from "../options.ts";
import { renderTree } from "../report/print.ts";

export function register(program: Command): void {
  const workflow = program.command("workflow").description("inspect workflows");
  workflow
    .command("tree")
    .description("print the tree of sub-workflows, agents and servers of a workflow")
    .argument("<file>", "workflow file")
    .option("--json", "print JSON ({path, kind, children?})")
    .option("--project-dir <dir>", "project directory agents resolve against (default: parent of workflows/)")
    .action((file: string, flags: { json?: boolean; projectDir?: string }) => {
      const tree = workflowTree(nodeProjectFs(), resolve(file), projectDirForWorkflow(file, flags.projectDir));
      process.stdout.write(flags.json ? `${JSON.stringify(tree, null, 2)}\n` : renderTree(tree));
      if (tree.error !== undefined) process.exitCode = 1;
    });
}
