import { retryDurableObjectCall } from "../../../../shared/util/durable-object-retries.ts";
import type { OrchestratorEnv } from "../env.ts";
import type { CancelResult } from "./run-do.ts";
import { runStub } from "./stub.ts";

/** The run's error once a cancel stopped it. */
export const CANCELLED_BY_REQUEST = "cancelled by request";

/**
 * Cancels a run on someone's request (`POST /runs/{id}/cancel`, `tasks/cancel` on `/mcp`).
 * Idempotent in effect (a second cancel finds the run ended and answers 409), so a transient
 * failure is retried.
 */
export function cancelByRequest(env: OrchestratorEnv, runId: string): Promise<CancelResult> {
  return retryDurableObjectCall(() => runStub(env, runId).cancel(CANCELLED_BY_REQUEST, "cancelled"));
}
