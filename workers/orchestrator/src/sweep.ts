import type { OrchestratorEnv } from "./env.ts";
import { retryDurableObjectCall } from "../../../shared/util/durable-object-retries.ts";
import { runStub } from "./run/stub.ts";
import { openStore } from "./store/open-store.ts";

/** A run unchanged for this long while `running` is checked for a lost alarm. */
const STALE_AFTER_MS = 2 * 60_000;

/**
 * Cron backstop for runs D1 shows as `running` with no change for a while. The
 * run's Durable Object repairs what it can: a run that has ended there is
 * mirrored to D1 again (its last mirror batch was lost); a running run whose
 * alarm was lost (alarms are at-least-once but can be lost with a storage
 * failure) gets it re-armed, and the alarm then resumes or fails the run.
 * `rearmed` counts the runs repaired either way.
 */
export async function sweepStaleRuns(env: OrchestratorEnv, now = Date.now()): Promise<{ checked: number; rearmed: number }> {
  const ids = await openStore(env).staleRunningRuns(new Date(now - STALE_AFTER_MS).toISOString());
  const rearmed = await Promise.all(
    ids.map((id) =>
      // Re-mirroring and re-arming are idempotent, so a transient failure is retried.
      retryDurableObjectCall(() => runStub(env, id).sweep()).catch(() => false),
    ),
  );
  return { checked: ids.length, rearmed: rearmed.filter(Boolean).length };
}
