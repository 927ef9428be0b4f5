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

/**
 * The binding with every `fetch` counted under `name` (a service-binding call is a
 * subrequest). Typed structurally so this module also compiles outside the Workers types;
 * anything else the binding has is passed through, bound to the binding itself.
 */
export function countedFetcher<B extends object & { fetch(...args: never[]): unknown }>(binding: B, name: string, counter: SubrequestCounter): B {
  return withFetch(binding, (...args: Parameters<B["fetch"]>): unknown => {
    counter.add(name);
    return binding.fetch(...args);
  });
}

/** The binding with its `fetch` replaced; anything else it has is passed through, bound to the binding itself. */
export function withFetch<B extends object & { fetch(...args: never[]): unknown }>(binding: B, fetch: (...args: Parameters<B["fetch"]>) => unknown): B {
  return new Proxy(binding, {
    get(target, prop) {
      if (prop === "fetch") return fetch;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
