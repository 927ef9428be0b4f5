// Counting the subrequests one invocation makes, by binding: the platform caps them per
// invocation (10,000 on Workers Paid, 50 on Free), and local workerd does not enforce it.

/** Whatever takes the count of one subrequest made through a binding. */
export interface SubrequestCounter {
  add(binding: string): void;
}

/** Subrequests so far, per binding name. */
export class SubrequestTally implements SubrequestCounter {
  private readonly counts = new Map<string, number>();

  add(binding: string): void {
    this.counts.set(binding, (this.counts.get(binding) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  /** `{ total, <binding>: n, … }` for a log line. */
  summary(): Record<string, number> {
    return { total: this.total, ...Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b))) };
  }
}

type Call = (...args: unknown[]) => unknown;

/**
 * The binding with every call counted under `name`: its `fetch` and its RPC methods alike (each
 * call through a service binding is a subrequest). Typed structurally so this module also
 * compiles outside the Workers types.
 */
export function countedBinding<B extends object>(binding: B, name: string, counter: SubrequestCounter): B {
  return wrapCalls(binding, (call) => (...args) => {
    counter.add(name);
    return call(...args);
  });
}

/**
 * The binding with each of its methods (`fetch`, `connect`, RPC methods) replaced by `wrap` of it;
 * anything that is not a function is passed through. A method is wrapped once per property name.
 */
export function wrapCalls<B extends object>(binding: B, wrap: (call: Call, name: string | symbol) => Call): B {
  const wrapped = new Map<string | symbol, Call>();
  return new Proxy(binding, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      let call = wrapped.get(prop);
      if (!call) {
        // Called with the binding as `this`; Reflect.apply also works on RPC stubs, which need not inherit Function.prototype.
        call = wrap((...args) => Reflect.apply(value, target, args), prop);
        wrapped.set(prop, call);
      }
      return call;
    },
  });
}
