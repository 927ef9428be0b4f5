// What a step result, a checkpoint and a heartbeat from the runtime do to their run, once
// received: the HTTP routes (runtime-routes.ts, after their schema check) and the RuntimeApi
// entrypoint's RPC methods (internal-api.ts) both end here.
import type { z } from "zod";
import type { HeartbeatPayload } from "../../../../shared/contracts/runtime.ts";
import type { CompleteAnswer } from "../../../../shared/contracts/service-rpc.ts";
import type { ReceivedCallbackSchema, ReceivedCheckpointSchema } from "../../../../shared/contracts/schemas/runtime.ts";
import { retryDurableObjectCall } from "../../../../shared/util/durable-object-retries.ts";
import { normalizeMetrics } from "../engine/metrics.ts";
import type { OrchestratorEnv } from "../env.ts";
import { runStub } from "../run/stub.ts";

export type ReceivedCallback = z.output<typeof ReceivedCallbackSchema>;
export type ReceivedCheckpoint = z.output<typeof ReceivedCheckpointSchema>;

/**
 * A step's result, applied to its run. A result for a step no longer running (or a stale attempt) is
 * ignored, so a transient failure is retried. With `handoff`, the answer may name the next fanout
 * item for the reporting host to run (run/handoff.ts).
 */
export function applyCallback(env: OrchestratorEnv, runId: string, stepId: string, received: ReceivedCallback, handoff = false): Promise<CompleteAnswer> {
  return applyCallbacks(env, runId, [{ step_id: stepId, payload: received }], { takeNext: handoff ? 1 : 0 });
}

/**
 * Several results of one run's steps from one host, applied with one commit; up to `takeNext` next
 * fanout items answered, some to wait behind a running item when the host can `queue` them.
 */
export async function applyCallbacks(
  env: OrchestratorEnv,
  runId: string,
  results: Array<{ step_id: string; payload: ReceivedCallback }>,
  handoff: { takeNext: number; queue?: boolean },
): Promise<CompleteAnswer> {
  const callbacks = results.map(({ step_id, payload: { metrics, ...result } }) => ({ ...result, run_id: runId, step_id, metrics: normalizeMetrics(metrics) }));
  return retryDurableObjectCall(() => runStub(env, runId).callbacks(callbacks, handoff));
}

/** A checkpoint kept on its run; `current` false: the attempt was superseded (the run ended, or the step moved on). */
export async function applyCheckpoint(env: OrchestratorEnv, runId: string, stepId: string, received: ReceivedCheckpoint): Promise<{ current: boolean }> {
  const { attempt, turn, messages, metrics } = received;
  const checkpoint = { attempt, turn, messages, ...(metrics ? { metrics: normalizeMetrics(metrics) } : {}) };
  return retryDurableObjectCall(() => runStub(env, runId).checkpoint(stepId, checkpoint));
}

/** Liveness for the steps a runtime runs, one call per run. */
export async function applyHeartbeat(env: OrchestratorEnv, payload: Pick<HeartbeatPayload, "active">): Promise<void> {
  const byRun = new Map<string, string[]>();
  for (const entry of payload.active) byRun.set(entry.run_id, [...(byRun.get(entry.run_id) ?? []), entry.step_id]);
  await Promise.all([...byRun].map(([runId, steps]) => retryDurableObjectCall(() => runStub(env, runId).heartbeat(steps))));
}
