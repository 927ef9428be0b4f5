// Test-only fault injection, switched on by a Worker's KTSU_TEST_FAULTS variable and inert
// without it. Tests use it to make a failure happen that local workerd never produces by itself
// (a transient Durable Object error, a D1 batch that fails once). Format: a comma-separated list
// of `<fault>:<run id prefix>`; a fault applies only to runs whose id starts with the prefix, so
// other runs in the same test Worker are untouched.
//
//   do_call_fails_once   the first call of each method on a Durable Object stub of the run (per
//                        stub name, in this isolate) throws the runtime's transient error
//                        (`retryable: true`) without reaching the object: the run's object in the
//                        orchestrator, a step's host in the runtime
//   do_call_fails        every such call throws it: an object that stays unreachable
//
// Faults of one Worker only are defined beside it (the orchestrator's run/test-faults.ts).

/** Faults injected so far in this isolate, by name (tests read it to know a fault really fired). */
const injected = new Map<string, number>();

export function faultsInjected(name: string): number {
  return injected.get(name) ?? 0;
}

/** Counts one injection of `name`. */
export function noteInjected(name: string): void {
  injected.set(name, faultsInjected(name) + 1);
}

/** The run id prefixes KTSU_TEST_FAULTS (`setting`) arms fault `name` for. */
export function armedPrefixes(setting: unknown, name: string): string[] {
  if (typeof setting !== "string" || setting === "") return [];
  return setting
    .split(",")
    .map((entry) => entry.trim().split(":"))
    .filter(([fault, prefix]) => fault === name && prefix !== undefined && prefix !== "")
    .map(([, prefix]) => prefix!);
}

/** The `<stub name> <method>` pairs whose call has failed once already. */
const failedCalls = new Set<string>();

/**
 * The stub itself unless KTSU_TEST_FAULTS arms `do_call_fails_once` or `do_call_fails` for
 * `runId`; else a stub whose first call of each method (per `name`: the object's name, the run id
 * by default), or every call, rejects with an error shaped like the runtime's transient Durable
 * Object error, and does not reach the object.
 */
export function withStubFaults<T extends object>(stub: T, runId: string, setting: unknown, name: string = runId): T {
  const armed = (fault: string) => armedPrefixes(setting, fault).some((p) => runId.startsWith(p));
  const fault = armed("do_call_fails") ? "do_call_fails" : armed("do_call_fails_once") ? "do_call_fails_once" : null;
  if (fault === null) return stub;
  return new Proxy(stub, {
    get(target, prop) {
      const member: unknown = Reflect.get(target, prop);
      if (typeof prop !== "string" || typeof member !== "function") return member;
      return (...args: unknown[]): unknown => {
        const key = `${name} ${prop}`;
        if (fault === "do_call_fails" || !failedCalls.has(key)) {
          failedCalls.add(key);
          noteInjected(fault);
          const err = Object.assign(new Error(`test fault (KTSU_TEST_FAULTS): the Durable Object call ${prop} failed`), { retryable: true });
          return Promise.reject(err);
        }
        // Reflect.apply, not member.apply: an RPC stub takes any property, `apply` included, for a remote method.
        return Reflect.apply(member as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}
