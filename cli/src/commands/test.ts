// `ktsu test [DIR]`: runs the pipeline test cases under the project's tests/ folder on a local
// stack, model and tool replies from each case's recording, and checks their assertions.
// Exit codes: 0 every case passed; 1 a case failed; 2 no cases, or the stack could not start.

import type { Command } from "commander";
import { errorMessage } from "../../../shared/util/errors.ts";
import { projectDirFrom } from "../options.ts";
import type { CaseResult } from "../pipeline-test/run.ts";
import { colorEnabled, styleFor } from "../render/style.ts";

interface TestFlags {
  projectDir?: string;
  verbose?: boolean;
}

export function renderCaseResult(result: CaseResult, color: boolean): string {
  const style = styleFor(color);
  const verdict = result.failures.length === 0 ? style.paint("green", "PASS") : style.paint("red", "FAIL");
  const lines = [`${verdict}  ${result.file}  ${result.name}`, ...result.failures.map((line) => `      ${line}`)];
  return `${lines.join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("test")
    .description("run the pipeline test cases under the project's tests/ folder (recorded model and tool replies, JMESPath and JSON Schema assertions)")
    .argument("[dir]", "the project directory (default: the current directory)")
    .option("--project-dir <dir>", "the project directory")
    .option("--verbose", "print the test stack's Worker logs")
    .action(async (dir: string | undefined, flags: TestFlags) => {
      const projectDir = projectDirFrom(dir, flags.projectDir);
      const color = colorEnabled(process.stdout);
      try {
        // Loaded here, not with the CLI: the test stack's modules take over a second to import.
        const { runPipelineTests } = await import("../pipeline-test/run.ts");
        const results = await runPipelineTests({ projectDir, ...(flags.verbose ? { verbose: true } : {}) }, (result) =>
          process.stdout.write(renderCaseResult(result, color)),
        );
        if (results.length === 0) {
          process.stderr.write(`test: no test cases under ${projectDir}/tests (YAML or JSON files)\n`);
          process.exitCode = 2;
          return;
        }
        const failed = results.filter((r) => r.failures.length > 0).length;
        process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
        process.exitCode = failed > 0 ? 1 : 0;
      } catch (error) {
        process.stderr.write(`test: ${errorMessage(error)}\n`);
        process.exitCode = 2;
      }
    });
}
