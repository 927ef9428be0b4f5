// The `ktsu` command. Each command lives in ./commands/<name>.ts and exports
// `register(program)`; adding one is a line here.

import { Command } from "commander";
import * as approvals from "./commands/approvals.ts";
import * as build from "./commands/build.ts";
import * as deploy from "./commands/deploy.ts";
import * as invoke from "./commands/invoke.ts";
import * as runs from "./commands/runs.ts";
import * as start from "./commands/start.ts";
import * as validate from "./commands/validate.ts";
import * as workflow from "./commands/workflow.ts";
import { errorMessage } from "../../shared/util/errors.ts";

const program = new Command("ktsu").description("Kimitsu agent pipelines on Cloudflare Workers");

for (const command of [validate, workflow, build, start, invoke, runs, approvals, deploy]) command.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`ktsu: ${errorMessage(error)}\n`);
  process.exitCode = 1;
}
