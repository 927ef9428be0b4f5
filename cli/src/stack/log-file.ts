// The local stack's log file: `ktsu start` writes every line its Workers log
// (the lines it prints) to `<state dir>/logs/stack.log` as well, so another
// process (`ktsu logs`) can follow them.

import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { WorkerLog } from "./stack.ts";

/** The log file of the local stack whose state is in `stateDir`. */
export function stackLogFile(stateDir: string): string {
  return path.join(stateDir, "logs", "stack.log");
}

/** One line of the log file: when, how loud, what (a multi-line message stays one entry, indented). */
export function logLine(log: WorkerLog): string {
  return `${new Date(log.timestamp).toISOString()} ${log.level} ${log.message.replace(/\n/g, "\n    ")}\n`;
}

/**
 * A Workers' log handler that prints as Miniflare does (warnings and errors on stderr) and
 * appends the same line to `file`: the file holds what the terminal shows and nothing more.
 */
export function teeWorkerLogs(file: string): (log: WorkerLog) => void {
  mkdirSync(path.dirname(file), { recursive: true });
  return (log) => {
    const loud = log.level === "error" || log.level === "warn";
    (loud ? process.stderr : process.stdout).write(`${log.message}\n`);
    appendFileSync(file, logLine(log), { mode: 0o600 });
  };
}

/** Appends a line of `ktsu start`'s own (a reload, a validation failure) so followers see it in order. */
export function noteInLog(file: string, level: string, message: string): void {
  appendFileSync(file, logLine({ timestamp: Date.now(), level, message }), { mode: 0o600 });
}
