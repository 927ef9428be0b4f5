// `ktsu start --watch`: when the project's files change, build and validate it
// again; a project with errors leaves the running version in place (and says
// why, as `ktsu validate` does), a good one replaces the Workers' code in the
// running stack. Runs in flight keep the workflow they started with (the run
// keeps its compiled workflow in its own storage).

import path from "node:path";
import { errorMessage } from "../../../shared/util/errors.ts";
import { renderReport } from "../report/print.ts";
import { noteInLog } from "./log-file.ts";
import type { LocalStack } from "./stack.ts";
import { InvalidProjectError, prepareProject, type StartLocalOptions } from "./start-local.ts";
import { watchProjectFiles } from "./watch.ts";

export interface DevLoopOptions {
  start: StartLocalOptions;
  stack: LocalStack;
  stateDir: string;
  /** The stack's log file: reloads and failed validations are noted there too. */
  logFile: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** The directories a project's files live in: the project, and a workflow dir or gateway config outside it. */
export function watchedDirs(start: StartLocalOptions): string[] {
  const project = path.resolve(start.projectDir);
  const dirs = [project];
  const extra = [start.workflowDir, start.gatewayConfig && path.dirname(start.gatewayConfig), start.envFile && path.dirname(start.envFile)];
  for (const dir of extra) {
    if (!dir) continue;
    const abs = path.resolve(dir);
    if (!dirs.some((d) => abs === d || abs.startsWith(`${d}${path.sep}`))) dirs.push(abs);
  }
  return dirs;
}

/** Watches the project and reloads the stack on each change; returns the function that stops watching. */
export function startDevLoop(options: DevLoopOptions): () => void {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  let running = false;
  let again = false;

  const reloadOnce = async () => {
    try {
      const prepared = await prepareProject(options.start);
      await options.stack.reload(prepared.stackOptions);
      const names = Object.values(prepared.bundle.workflows)
        .filter((w) => w.invoke_name && w.visibility === "root")
        .map((w) => w.invoke_name!);
      const line = `reloaded: ${names.length} workflow(s): ${names.join(", ") || "(none)"}`;
      out.write(`ktsu: ${line}\n`);
      noteInLog(options.logFile, "info", `ktsu: ${line}`);
    } catch (error) {
      if (error instanceof InvalidProjectError) out.write(renderReport(error.report));
      const why = error instanceof InvalidProjectError ? "the project has validation errors" : errorMessage(error);
      const line = `not reloaded: ${why}; the last good version keeps running`;
      err.write(`ktsu: ${line}\n`);
      noteInLog(options.logFile, "error", `ktsu: ${line}`);
    }
  };

  // One reload at a time; changes made during one trigger one more after it.
  const reload = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    do {
      again = false;
      await reloadOnce();
    } while (again);
    running = false;
  };

  return watchProjectFiles({
    dirs: watchedDirs(options.start),
    ignore: [options.stateDir],
    onChange: (files) => {
      out.write(`ktsu: changed: ${files.map((f) => path.relative(process.cwd(), f) || f).join(", ")}; reloading\n`);
      void reload();
    },
  });
}
