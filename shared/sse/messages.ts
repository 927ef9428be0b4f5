// Turns the text of an event stream into messages, on top of the
// `eventsource-parser` package (which implements the WHATWG parsing rules),
// adding the two pieces of connection state a reconnecting reader needs: the
// last event id and the last `retry:` value.
import { createParser, type EventSourceParser } from "eventsource-parser";

export interface SseMessage {
  /** The `id:` of this message, or the last id the stream set before it; undefined when none. */
  id: string | undefined;
  /** `event:`; "message" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
}

/**
 * Incremental reader of one connection (a new connection starts a new reader): feed it decoded text as it arrives,
 * get the complete messages back. A message without data (for example one that
 * only sets `retry:` or `id:`) is never returned; its `retry:` and `id:` still
 * take effect, as the standard says.
 */
export class SseMessageReader {
  /** The last `retry:` value (ms), if the server sent one. */
  retry: number | undefined;
  /** The last event id set by the stream (survives messages without an id). */
  lastEventId: string | undefined;
  private readonly parser: EventSourceParser;
  private pending: SseMessage[] = [];

  constructor() {
    this.parser = createParser({
      onId: (id) => {
        this.lastEventId = id;
      },
      onRetry: (ms) => {
        this.retry = ms;
      },
      onEvent: (message) => {
        this.pending.push({ id: this.lastEventId, event: message.event || "message", data: message.data });
      },
    });
  }

  push(chunk: string): SseMessage[] {
    this.parser.feed(chunk);
    const messages = this.pending;
    this.pending = [];
    return messages;
  }
}
