// CPU time of the local stack's workerd: every Worker, D1 and the Durable Objects run in it, so
// its utime + stime over N runs is the stack's cost per run, and unlike wall time it does not
// grow with what else the machine runs.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** Fields of /proc/<pid>/stat after the command name (the first is field 3, the state). */
function statFields(pid: number): { comm: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return { comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), fields: stat.slice(stat.lastIndexOf(")") + 2).split(" ") };
}

/** utime + stime of a process, in ms. */
export function processCpuMs(pid: number): number {
  const { fields } = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000;
}

/** CPU ms of the workerd processes this process started (the in-process local stack's). */
export function childWorkerdCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, fields } = statFields(Number(entry));
      if (comm.startsWith("workerd") && Number(fields[1]) === process.pid) total += processCpuMs(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return total;
}
