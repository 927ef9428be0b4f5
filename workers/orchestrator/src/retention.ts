import { parseRetentionDays, RUN_RETENTION_DAYS } from "../../../shared/contracts/retention.ts";
import { retryDurableObjectCall } from "../../../shared/util/durable-object-retries.ts";
import { errorMessage } from "../../../shared/util/errors.ts";
import type { OrchestratorEnv } from "./env.ts";
import { KEY_LIFETIME_DAYS } from "./idempotency.ts";
import { runStub } from "./run/stub.ts";
import { openStore } from "./store/open-store.ts";

const DAY_MS = 24 * 60 * 60_000;

/**
 * Root runs handled per cron invocation: each costs its run object one call (a few more
 * through retries), and all of them one D1 batch. At one trigger every five minutes that
 * drains about 7,000 runs a day; a larger backlog drains over more triggers.
 */
export const RUNS_PER_SWEEP = 25;

/** Expired idempotency keys deleted per cron invocation (one D1 statement). */
export const KEYS_PER_SWEEP = 500;

export interface RetentionResult {
  /** Runs deleted everywhere (Store rows, run objects, step hosts, sub-runs). */
  deleted: number;
  /** Runs begun but not finished: their hosts take more calls (the next triggers carry on). */
  unfinished: number;
  /** Runs the Store showed as ended that their object says are not: kept. */
  kept: number;
  keys: number;
}

export interface RetentionOptions {
  now?: number;
  runs?: number;
  keys?: number;
}

/**
 * The cron's retention pass: with KTSU_RUN_RETENTION_DAYS set, root runs that ended more than
 * that many days ago are deleted from their Durable Objects (the run's, its sub-runs', their step
 * hosts') and then from the Store; runs still running or waiting on a person are kept. Expired
 * idempotency keys are deleted whatever the setting. Each pass is bounded, so a backlog drains
 * over several triggers.
 */
export async function purgeExpiredRuns(env: OrchestratorEnv, options: RetentionOptions = {}): Promise<RetentionResult> {
  const now = options.now ?? Date.now();
  const store = openStore(env);
  const result: RetentionResult = { deleted: 0, unfinished: 0, kept: 0, keys: 0 };
  const setting = parseRetentionDays(typeof env[RUN_RETENTION_DAYS] === "string" ? (env[RUN_RETENTION_DAYS] as string) : undefined);
  if (!setting.ok) console.error(`retention: ${setting.error}; no run is deleted until it is fixed`);
  else if (setting.days !== null) {
    const ids = await store.expiredRootRuns(new Date(now - setting.days * DAY_MS).toISOString(), options.runs ?? RUNS_PER_SWEEP);
    const outcomes = await Promise.all(
      ids.map((id) =>
        // A purge can be repeated from any point, so a transient failure is retried.
        retryDurableObjectCall(() => runStub(env, id).purge()).catch((err: unknown) => {
          console.error(`retention: run ${id}: ${errorMessage(err)}; tried again at the next trigger`);
          return "more" as const;
        }),
      ),
    );
    const done = ids.filter((_, i) => outcomes[i] === "done");
    await store.deleteRuns(done);
    result.deleted = done.length;
    result.unfinished = outcomes.filter((o) => o === "more").length;
    result.kept = outcomes.filter((o) => o === "kept").length;
  }
  result.keys = await store.deleteIdempotencyKeysBefore(new Date(now - KEY_LIFETIME_DAYS * DAY_MS).toISOString(), options.keys ?? KEYS_PER_SWEEP);
  return result;
}
