// Test-only fault injection, switched on by the KTSU_TEST_FAULTS variable and
// inert without it. Tests use it to make a failure happen that local workerd
// never produces by itself (a D1 batch that fails once, a transient Durable
// Object error). Format: a comma-separated list of `<fault>:<run id prefix>`; a
// fault applies only to runs whose id starts with the prefix, so other runs in
// the same test Worker are untouched.
//
//   mirror_fails_once_at_end  the first D1 mirror batch that carries the run's
//                             end (complete or failed) throws, once per instance
//   do_call_fails_once        the first call of each method on the run's Durable
//                             Object stub (per run id, in this isolate) throws the
//                             runtime's transient error (`retryable: true`)

import type { MirrorChange, RunMirror } from "./run-state.ts";

export type FaultName = "mirror_fails_once_at_end" | "do_call_fails_once";

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

/** The `<run id> <method>` pairs whose call has failed once already. */
const failedCalls = new Set<string>();

/**
 * The stub itself unless KTSU_TEST_FAULTS arms `do_call_fails_once` for this run id;
 * else a stub whose first call of each method rejects with an error shaped like the
 * runtime's transient Durable Object error (and does not reach the object).
 */
export function withStubFaults<T extends object>(stub: T, runId: string, setting: unknown): T {
  const prefixes = armedPrefixes(setting, "do_call_fails_once");
  if (!prefixes.some((p) => runId.startsWith(p))) return stub;
  return new Proxy(stub, {
    get(target, prop) {
      const member: unknown = Reflect.get(target, prop);
      if (typeof prop !== "string" || typeof member !== "function") return member;
      return (...args: unknown[]): unknown => {
        const key = `${runId} ${prop}`;
        if (!failedCalls.has(key)) {
          failedCalls.add(key);
          injected.set("do_call_fails_once", faultsInjected("do_call_fails_once") + 1);
          const err = Object.assign(new Error(`test fault (KTSU_TEST_FAULTS): the Durable Object call ${prop} failed`), { retryable: true });
          return Promise.reject(err);
        }
        // Reflect.apply, not member.apply: an RPC stub takes any property, `apply` included, for a remote method.
        return Reflect.apply(member as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}
