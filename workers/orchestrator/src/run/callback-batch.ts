// Group commit for the runtime's results. A wide fanout sends its run object one result per
// item; applied one by one, each costs a storage commit (a SQLite transaction with its fsync
// locally), the step's state written again, and a pass of the scheduler. Results that arrive
// while an earlier batch is still being applied (committed, its next items dispatched) wait
// and are applied together: one commit for all of them. An idle object applies a result at
// once; the busier the object, the larger the batches.

/** Applies results received together and makes them durable; resolves once they are committed. */
export type ApplyBatch<T> = (batch: readonly T[]) => Promise<void>;

interface Waiting<T> {
  value: T;
  /** `lead`: apply the queue (this value is in it); `done`: applied by another caller's batch. */
  signal(turn: "lead" | "done"): void;
  failure?: { error: unknown };
}

/**
 * Each batch is applied by one of the callers whose values it holds, inside that caller's own
 * call (so what a batch costs, its subrequests included, belongs to one of its invocations);
 * the first caller still waiting applies the next batch.
 */
export class GroupCommit<T> {
  private queue: Waiting<T>[] = [];
  private applying = false;
  private readonly apply: ApplyBatch<T>;

  constructor(apply: ApplyBatch<T>) {
    this.apply = apply;
  }

  /**
   * Resolves once `value` has been applied and committed with its batch (an acknowledged result
   * is durable); rejects with the batch's error, so the sender tries again.
   */
  async add(value: T): Promise<void> {
    let waiting!: Waiting<T>;
    const turn = await new Promise<"lead" | "done">((signal) => {
      waiting = { value, signal };
      this.queue.push(waiting);
      if (!this.applying) {
        this.applying = true;
        signal("lead");
      }
    });
    if (turn === "lead") await this.lead(waiting);
    else if (waiting.failure) throw waiting.failure.error;
  }

  /** Applies everything queued (`self` included), hands the next batch to its first caller, then answers the others. */
  private async lead(self: Waiting<T>): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    let failure: { error: unknown } | undefined;
    try {
      await this.apply(batch.map((waiting) => waiting.value));
    } catch (error) {
      failure = { error };
    }
    const next = this.queue[0];
    if (next) next.signal("lead");
    else this.applying = false;
    for (const waiting of batch) {
      if (waiting === self) continue;
      if (failure) waiting.failure = failure;
      waiting.signal("done");
    }
    if (failure) throw failure.error;
  }
}
