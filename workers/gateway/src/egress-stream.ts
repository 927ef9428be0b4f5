// How the egress proxy relays an event stream (`text/event-stream`): a long-lived MCP
// session (the legacy HTTP+SSE transport's GET, a resumed streamable HTTP stream) must
// pass through unchanged, so the limits that fit a one-shot reply do not apply to it.
// A size cap on the whole reply would cut a healthy session after enough small events,
// so the cap is per event; and the request timeout would cut a session that is merely
// idle between tool calls, so the stream is bounded by a lifetime ceiling instead.

export interface EventStreamLimits {
  /** Largest single event: the bytes of its lines (without line ends) up to the blank line that ends it. */
  maxEventBytes: number;
  /** The stream is ended (closed cleanly, the upstream connection released) after this long. */
  maxStreamMs: number;
}

export function isEventStream(response: Response): boolean {
  return /^\s*text\/event-stream\b/i.test(response.headers.get("content-type") ?? "");
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts the bytes of the event being received. An event ends at a blank line; lines end
 * in CRLF, LF or CR (the SSE grammar), and a CRLF split across two chunks is one line end.
 * Returns undefined while every event is within the cap; once one is not, how many leading
 * bytes of the chunk finish the events before it (they may still be relayed).
 */
export function eventSizeMeter(maxEventBytes: number): (chunk: Uint8Array) => number | undefined {
  let eventBytes = 0;
  let atLineStart = true;
  let afterCr = false;
  let crEndedEvent = false;
  return (chunk) => {
    let completeUpTo = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (afterCr && byte === LF) {
        afterCr = false;
        if (crEndedEvent) completeUpTo = i + 1;
        continue;
      }
      afterCr = byte === CR;
      crEndedEvent = false;
      if (byte === CR || byte === LF) {
        // A line end on an empty line is the blank line that dispatches the event.
        if (atLineStart) {
          eventBytes = 0;
          completeUpTo = i + 1;
          crEndedEvent = byte === CR;
        }
        atLineStart = true;
        continue;
      }
      atLineStart = false;
      if (++eventBytes > maxEventBytes) return completeUpTo;
    }
    return undefined;
  };
}

/**
 * Relays `body`, ending the stream when one event grows past the cap, at the lifetime
 * ceiling, or when the target ends it. Cancelling the relay (the caller closed its
 * session, or went away) cancels the upstream request.
 */
export function relayEventStream(body: ReadableStream<Uint8Array>, limits: EventStreamLimits, onOversize: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const overCapAt = eventSizeMeter(limits.maxEventBytes);
  // Cancelling the reader ends a pending read with `done`, so `pull` closes the relay cleanly.
  const ceiling = setTimeout(() => void reader.cancel("egress stream lifetime reached").catch(() => {}), limits.maxStreamMs);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A target that drops the connection ends the relay like one that closes it: an event
      // stream reader discards an unfinished event, and reconnects or gives up either way.
      const read = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (read.done) {
        clearTimeout(ceiling);
        controller.close();
        return;
      }
      const cut = overCapAt(read.value);
      if (cut !== undefined) {
        // The events before the oversized one are relayed; the part of it already relayed
        // has no blank line after it, so the reader drops it. Failing the stream instead
        // would tell the caller nothing more.
        clearTimeout(ceiling);
        onOversize();
        if (cut > 0) controller.enqueue(read.value.subarray(0, cut));
        controller.close();
        await reader.cancel("event too large").catch(() => {});
        return;
      }
      controller.enqueue(read.value);
    },
    cancel(reason) {
      clearTimeout(ceiling);
      return reader.cancel(reason);
    },
  });
}
