// Test-only fault injection, switched on by the KTSU_TEST_FAULTS variable and
// inert without it. Tests use it to make a failure happen that local workerd
// never produces by itself (a D1 batch that fails once). Format: a comma-separated
// list of `<fault>:<run id prefix>`; a fault applies only to runs whose id
// starts with the prefix, so other runs in the same test Worker are untouched.
//
//   mirror_fails_once_at_end  the first D1 mirror batch that carries the run's
//                             end (complete or failed) throws, once per instance

import type { MirrorChange, RunMirror } from "./run-state.ts";

export type FaultName = "mirror_fails_once_at_end";

/** Faults injected so far in this isolate, by name (tests read it to know a fault really fired). */
const injected = new Map<FaultName, number>();

export function faultsInjected(name: FaultName): number {
  return injected.get(name) ?? 0;
}

function armedPrefixes(setting: unknown, name: FaultName): string[] {
  if (typeof setting !== "string" || setting === "") return [];
  return setting
    .split(",")
    .map((entry) => entry.trim().split(":"))
    .filter(([fault, prefix]) => fault === name && prefix !== undefined && prefix !== "")
    .map(([, prefix]) => prefix!);
}

/** The mirror itself when KTSU_TEST_FAULTS arms no mirror fault; else a wrapper that injects it. */
export function withMirrorFaults(mirror: RunMirror, setting: unknown): RunMirror {
  const prefixes = armedPrefixes(setting, "mirror_fails_once_at_end");
  if (prefixes.length === 0) return mirror;
  let fired = false;
  return {
    createRun: (run, key) => mirror.createRun(run, key),
    mirror: async (change: MirrorChange) => {
      const run = change.run;
      const ends = run !== undefined && (run.status === "complete" || run.status === "failed");
      if (!fired && ends && prefixes.some((p) => run.id.startsWith(p))) {
        fired = true;
        injected.set("mirror_fails_once_at_end", faultsInjected("mirror_fails_once_at_end") + 1);
        throw new Error("test fault (KTSU_TEST_FAULTS): the D1 mirror batch failed");
      }
      await mirror.mirror(change);
    },
  };
}
