// Follows a run's live events (GET /runs/:id/events) through the shared
// reconnecting reader, which resumes with Last-Event-ID until the run has ended.
import { followSse, SseHttpError } from "../../shared/sse/follow.ts";
import { apiError, authHeaders, enc, getRun } from "./api.ts";
import type { RunEvent } from "./types.ts";
import { decodeRunEvent } from "../../shared/contracts/run-event-message.ts";

/** Events after which the orchestrator closes the stream for good. */
const FINAL = new Set(["run_completed", "run_failed", "run_cancelled"]);
const ENDED = new Set(["complete", "failed", "cancelled"]);

export interface FollowHandlers {
  onEvent(event: RunEvent): void;
  /** The stream is over: the run ended, or it cannot be followed (error set). */
  onEnd(error?: Error): void;
}

/** Starts following; the returned function stops. */
export function followRunEvents(runId: string, handlers: FollowHandlers): () => void {
  const controller = new AbortController();
  const stream = followSse({
    url: `/runs/${enc(runId)}/events`,
    fetch: (url, init) => fetch(url, init),
    headers: authHeaders(),
    signal: controller.signal,
    // A page left open keeps trying for as long as it is open.
    maxRetries: Number.POSITIVE_INFINITY,
    isLast: (message) => FINAL.has(message.event),
    // Resuming after the final event gets an empty stream: over if the run has ended, else a dropped connection.
    // When that check fails too, it counts as a drop and is asked again after the next empty connection.
    isOver: () =>
      getRun(runId).then(
        (detail) => ENDED.has(detail.run.status),
        () => false,
      ),
  });

  void (async () => {
    try {
      for await (const message of stream) {
        const event = decodeRunEvent(message);
        if (event) handlers.onEvent(event);
      }
      handlers.onEnd();
    } catch (err) {
      if (controller.signal.aborted) return;
      if (err instanceof SseHttpError) return handlers.onEnd(apiError(err.status, err.body));
      handlers.onEnd(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return () => controller.abort();
}
