// CPU time of local processes from /proc/<pid>/stat (Linux): what the benches charge to workerd.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** The fields of /proc/<pid>/stat after `(comm)`, which may hold spaces: [0] is field 3 (state). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** utime + stime of a process, in ms (0 once it is gone). */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000 : 0;
}

/** utime + stime of a process and every process below it, in ms. */
export function treeCpuMs(pid: number): number {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields) parents.set(Number(name), Number(fields[1]));
  }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    total += cpuMs(current);
    for (const [child, parent] of parents) if (parent === current) pending.push(child);
  }
  return total;
}

/** CPU ms of the processes this one started (an in-process local stack's workerd), itself not counted. */
export function childrenCpuMs(pid: number = process.pid): number {
  return treeCpuMs(pid) - cpuMs(pid);
}
