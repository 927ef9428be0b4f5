// Subrequests per invocation of a run's Durable Object. The platform caps the subrequests
// of one invocation (each RPC call, fetch and alarm of the object is one), and local
// workerd does not enforce the cap, so the object counts its own: its calls to the runtime
// and gateway bindings, to other runs' objects and to the Store (D1 or Postgres: the mirror). Invocations
// of one object overlap (the object takes the next call while one awaits), so each
// subrequest is attributed, through AsyncLocalStorage, to the invocation whose work made it
// (work an invocation leaves running, such as a webhook reply, stays attributed to it).
import { AsyncLocalStorage } from "node:async_hooks";
import { type SubrequestCounter, SubrequestTally } from "../../../../shared/util/subrequests.ts";
import type { ChildRun } from "./context.ts";
import type { RunMirror } from "./run-state.ts";

interface Invocation {
  readonly kind: string;
  subrequests: number;
}

export class InvocationCounter implements SubrequestCounter {
  private readonly current = new AsyncLocalStorage<Invocation>();
  private readonly totals = new SubrequestTally();
  private readonly kinds = new Map<string, number>();
  private invocations = 0;
  private largest: Invocation = { kind: "none", subrequests: 0 };
  private reported = false;

  /** Runs one invocation's work (an RPC method, the alarm, a fetch) under its own count. */
  run<T>(kind: string, work: () => T): T {
    // A method called by another method of the object belongs to the caller's invocation.
    if (this.current.getStore()) return work();
    this.invocations += 1;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    return this.current.run({ kind, subrequests: 0 }, work);
  }

  add(binding: string): void {
    this.totals.add(binding);
    const invocation = this.current.getStore();
    if (!invocation) return;
    invocation.subrequests += 1;
    if (invocation.subrequests > this.largest.subrequests) this.largest = invocation;
  }

  /** One log line for the run, the first time it is seen ended (counts of this instance only). */
  reportOnce(runId: string): void {
    if (this.reported) return;
    this.reported = true;
    console.log(
      JSON.stringify({
        message: "orchestrator: run invocations",
        run_id: runId,
        invocations: this.invocations,
        by_kind: Object.fromEntries(this.kinds),
        largest: { kind: this.largest.kind, subrequests: this.largest.subrequests },
        subrequests: this.totals.summary(),
      }),
    );
  }
}

/** Every method of a Durable Object class, each call counted as one invocation of the object. */
export function countInvocations<T extends object>(prototype: T, counterOf: (self: T) => InvocationCounter): void {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    const method: unknown = descriptor?.value;
    if (name === "constructor" || typeof method !== "function") continue;
    Object.defineProperty(prototype, name, {
      ...descriptor,
      value(this: T, ...args: unknown[]): unknown {
        return counterOf(this).run(name, () => Reflect.apply(method as (...a: unknown[]) => unknown, this, args));
      },
    });
  }
}

/** The Store mirror (D1 or Postgres) with each call counted (one query or one batch each). */
export function countedMirror(mirror: RunMirror, counter: SubrequestCounter): RunMirror {
  return {
    createRun: (run, key) => {
      counter.add("store");
      return mirror.createRun(run, key);
    },
    mirror: (change) => {
      counter.add("store");
      return mirror.mirror(change);
    },
  };
}

/** Another run's object with each call counted. */
export function countedChildRun(run: ChildRun, counter: SubrequestCounter): ChildRun {
  const counted =
    <A extends unknown[]>(call: (...args: A) => Promise<unknown>) =>
    (...args: A): Promise<unknown> => {
      counter.add("runs");
      return call(...args);
    };
  return {
    start: counted((input) => run.start(input)),
    cancel: counted((reason, status) => run.cancel(reason, status)),
    childEvent: counted((stepId, event) => run.childEvent(stepId, event)),
    childFinished: counted((result) => run.childFinished(result)),
  };
}
