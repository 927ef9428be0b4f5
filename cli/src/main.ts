// The `ktsu` command. Each command lives in ./commands/<name>.ts and exports
// `register(program)`; adding one is a line here.

import { Command } from "commander";
import * as approvals from "./commands/approvals.ts";
import * as build from "./commands/build.ts";
import * as cancel from "./commands/cancel.ts";
import * as deploy from "./commands/deploy.ts";
import * as enqueue from "./commands/enqueue.ts";
import * as init from "./commands/init.ts";
import * as invoke from "./commands/invoke.ts";
import * as logs from "./commands/logs.ts";
import * as replay from "./commands/replay.ts";
import * as runs from "./commands/runs.ts";
import * as start from "./commands/start.ts";
import * as test from "./commands/test.ts";
import * as validate from "./commands/validate.ts";
import * as version from "./commands/version.ts";
import * as workflow from "./commands/workflow.ts";
import { errorMessage } from "../../shared/util/errors.ts";
import { buildInfo, renderVersion } from "./version.ts";

const program = new Command("ktsu").description("Kimitsu agent pipelines on Cloudflare Workers");
program.version(renderVersion(buildInfo()).trimEnd(), "--version", "print version information");

for (const command of [init, validate, workflow, build, start, logs, invoke, enqueue, runs, cancel, approvals, replay, test, deploy, version])
  command.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`ktsu: ${errorMessage(error)}\n`);
  process.exitCode = 1;
}
