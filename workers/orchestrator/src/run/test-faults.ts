// The orchestrator's test-only faults (KTSU_TEST_FAULTS; the format and the faults every Worker
// has are in shared/util/test-faults.ts):
//
//   mirror_fails_once_at_end  the first D1 mirror batch that carries the run's
//                             end (complete or failed) throws, once per instance
//   do_call_fails_once        (shared) the first call of each method on the run's
//                             Durable Object stub throws the transient error

import { armedPrefixes, noteInjected } from "../../../../shared/util/test-faults.ts";
import type { MirrorChange, RunMirror } from "./run-state.ts";

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
        noteInjected("mirror_fails_once_at_end");
        throw new Error("test fault (KTSU_TEST_FAULTS): the D1 mirror batch failed");
      }
      await mirror.mirror(change);
    },
  };
}
