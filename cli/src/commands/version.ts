// `ktsu version` (and `ktsu --version`, registered in main.ts): version, commit and build time.
import type { Command } from "commander";
import { buildInfo, renderVersion } from "../version.ts";

export function register(program: Command): void {
  program
    .command("version")
    .description("print version information")
    .action(() => {
      process.stdout.write(renderVersion(buildInfo()));
    });
}
