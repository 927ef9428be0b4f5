// Retrying a Durable Object call that failed with a transient error.
//
// The Workers runtime marks an error thrown by a Durable Object call with
// `retryable: true` when the failure was transient (the object was reset, a
// connection dropped) and `overloaded: true` when the object is overloaded,
// where more calls only make it worse. A retryable error says nothing about
// whether the call already ran on the object, so only calls that are safe to
// run twice are retried: reads, and writes made idempotent by an id.
//
// Each retry builds a new stub (the caller's `call` gets one each time): a stub
// that threw may stay broken.
//
// Call sites considered, and why each is or is not retried:
//   Orchestrator, the run's Durable Object (RunDO):
//     start          retried: idempotent by run id (a second start returns created: false);
//                    POST /invoke, the run queue, and a workflow step starting its sub-run
//     callback       retried: ignored once the step (or item) is no longer running or the
//                    attempt is stale, so a second delivery changes nothing
//     checkpoint     retried: stale attempts are ignored, the same checkpoint is rewritten
//     heartbeat      retried: it only moves deadlines
//     childFinished  retried: ignored once the workflow step is no longer running;
//                    the alarm also retries it until acknowledged
//     cancel         retried: ignored once the sub-run is no longer running
//     sweep          retried: re-mirroring and re-arming an alarm are idempotent
//     purge          retried: retention's deletion can be repeated from any point (run/purge.ts)
//     fetch /events  retried: a read
//     decide         NOT retried: a second decision on a decided approval is refused with
//                    409, so the reviewer would see a conflict for a decision that worked
//     childEvent     NOT retried: each call appends an event to the parent, a repeat
//                    would show it twice; it is best effort (approvals are listed anyway)
//   Runtime, a step's host (StepHost):
//     start, startMany  retried: a start of a step the host already runs or has finished is
//                       ignored (by step key, in memory and in its storage), so a second one
//                       starts nothing; after a reset the first start's loop is gone and the
//                       second runs it
//     cancel            retried: a second cancel finds the host cancelled
//     purge             retried: erasing what is already erased changes nothing
//   Gateway, the run's budget ledger (BudgetDO):
//     report         retried: a read
//     release        retried: drops a reservation by id, a second drop changes nothing
//     reserve        NOT retried: each call holds a new reservation with a new id
//     settle         NOT retried: it charges the cost even when the reservation is gone
//     record         NOT retried: it adds the cost to what was spent
//   Tools, the kv server's store (KvDO):
//     getValue, listKeys  retried: reads
//     setValue            retried: writing the same value twice leaves the same state
//     deleteValue         NOT retried: its answer (whether the key existed) would be false
//                         on a retry after a first try that deleted the key
//     increment           NOT retried: each call adds again

export interface RetryOptions {
  /** Tries in all, the first included. */
  maxAttempts?: number;
  /** The first retry waits up to twice this; each later one doubles the bound. */
  baseDelayMs?: number;
  /** No wait is longer than this. */
  maxDelayMs?: number;
  /** Waits (tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

export const DEFAULT_RETRY = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 } as const;

/** Whether a thrown value is a transient Durable Object error worth another try: `retryable` and not `overloaded`. */
export function isRetryableDurableObjectError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const flags = err as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true && flags.overloaded !== true;
}

/**
 * The wait before retry number `retry` (1 for the first): a random time up to
 * `base * 2^retry`, capped at `max` ("full jitter"), so callers that failed
 * together do not come back together.
 */
export function backoffDelayMs(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const bound = Math.min(baseDelayMs * 2 ** retry, maxDelayMs);
  return Math.floor(random() * bound);
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call` (which must be idempotent: see the list above), trying again
 * after a jittered, growing wait while it throws a retryable Durable Object
 * error, at most `maxAttempts` times in all. Any other error, or the last
 * retryable one, is thrown as it is.
 */
export async function retryDurableObjectCall<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_RETRY.maxAttempts));
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= maxAttempts || !isRetryableDurableObjectError(err)) throw err;
      await wait(backoffDelayMs(attempt, baseDelayMs, maxDelayMs, options.random));
    }
  }
}
