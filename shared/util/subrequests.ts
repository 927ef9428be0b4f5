// Counting the subrequests one invocation makes, by binding: the platform caps them per
// invocation (10,000 on Workers Paid, 50 on Free), and local workerd does not enforce it.

/** Subrequests so far, per binding name. */
export class SubrequestTally {
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
