// Follows a run's live events (GET /runs/:id/events), reconnecting with
// Last-Event-ID until the run has ended.
import { ApiError, authHeaders, checked, enc, getRun } from "./api.ts";
import { SseParser } from "./sse-parser.ts";
import type { RunEvent } from "./types.ts";

/** Events after which the orchestrator closes the stream for good. */
const FINAL = new Set(["run_completed", "run_failed"]);
const ENDED = new Set(["complete", "failed"]);

export interface FollowHandlers {
  onEvent(event: RunEvent): void;
  /** The stream is over: the run ended, or it cannot be followed (error set). */
  onEnd(error?: Error): void;
}

/** Starts following; the returned function stops. */
export function followRunEvents(runId: string, handlers: FollowHandlers): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  let retryMs = 1000;
  let finished = false;

  const connect = async (): Promise<void> => {
    let received = 0;
    const res = await fetch(`/runs/${enc(runId)}/events`, {
      headers: { accept: "text/event-stream", ...authHeaders(), ...(lastId ? { "last-event-id": lastId } : {}) },
      signal: controller.signal,
    });
    await checked(res);
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const message of parser.push(value)) {
        if (message.retry !== undefined) retryMs = message.retry;
        if (message.id !== undefined) lastId = message.id;
        if (!message.data) continue;
        const event = JSON.parse(message.data) as RunEvent;
        received++;
        if (FINAL.has(event.type)) finished = true;
        handlers.onEvent(event);
      }
    }
    // A stream that closed with nothing new: over if the run has ended, else a dropped connection.
    if (!finished && received === 0) finished = ENDED.has((await getRun(runId)).run.status);
  };

  void (async () => {
    while (!controller.signal.aborted) {
      try {
        await connect();
        if (finished) return handlers.onEnd();
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) return handlers.onEnd(err);
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();
  return () => controller.abort();
}
