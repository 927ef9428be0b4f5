// A Server-Sent Events reader on top of fetch: an incremental parser (the
// WHATWG "event stream" rules) and `followSse`, which follows a stream across
// dropped connections by reconnecting with `Last-Event-ID`.

export interface SseMessage {
  /** The `id:` of this message, or the last id seen before it (per the spec); undefined when none. */
  id: string | undefined;
  /** `event:`; "message" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
}

/**
 * Incremental event-stream parser: feed it decoded text as it arrives, get the
 * complete messages back. Handles CRLF, CR and LF line ends split across
 * chunks, comments, multi-line data and `retry:`.
 */
export class SseParser {
  /** The last `retry:` value (ms), if the server sent one. */
  retry: number | undefined;
  /** The last event id set by the stream (survives messages without an id). */
  lastEventId: string | undefined;
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private sawField = false;
  /** A CR ended the previous chunk: an LF starting the next one belongs to it. */
  private pendingCr = false;

  push(chunk: string): SseMessage[] {
    const messages: SseMessage[] = [];
    let text = chunk;
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) {
        this.pendingCr = true;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  /** Drops a half-received message (the connection broke in the middle of it). */
  reset(): void {
    this.buffer = "";
    this.data = [];
    this.event = "";
    this.sawField = false;
    this.pendingCr = false;
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined; // comment (keepalive)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.sawField = true;
        break;
      case "event":
        this.event = value;
        this.sawField = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        this.sawField = true;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const hadData = this.data.length > 0;
    const message: SseMessage = { id: this.lastEventId, event: this.event || "message", data: this.data.join("\n") };
    this.data = [];
    this.event = "";
    const saw = this.sawField;
    this.sawField = false;
    // Per the spec a message without data is not dispatched.
    return hadData && saw ? message : undefined;
  }
}

/** The server answered the (re)connection with an HTTP error that retrying will not fix. */
export class SseHttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`event stream request failed with status ${status}`);
    this.name = "SseHttpError";
    this.status = status;
    this.body = body;
  }
}

/** Reconnecting did not work `maxRetries` times in a row. */
export class SseGaveUpError extends Error {
  readonly lastEventId: string | undefined;
  constructor(reason: string, lastEventId: string | undefined) {
    super(`lost the event stream: ${reason}`);
    this.name = "SseGaveUpError";
    this.lastEventId = lastEventId;
  }
}

export interface ReconnectInfo {
  /** 1 for the first reconnection after a drop, 2 for the next failed try, … */
  attempt: number;
  lastEventId: string | undefined;
  reason: string;
  delayMs: number;
}

export interface FollowOptions {
  url: string | URL;
  /** Resume after this id (sent as `Last-Event-ID` on the first request too). */
  lastEventId?: string;
  /** Stop after yielding a message for which this returns true (the stream's natural end). */
  isLast?: (message: SseMessage) => boolean;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Consecutive failed (re)connections tolerated before giving up. Default 8. */
  maxRetries?: number;
  /** Delay before reconnecting when the server sent no `retry:`. Default 1000 ms. */
  retryMs?: number;
  /** Longest delay between tries (the delay doubles on each consecutive failure). Default 10 s. */
  maxRetryMs?: number;
  /** A connection silent this long (no data, no keepalive) counts as dropped. Default 45 s. */
  idleTimeoutMs?: number;
  onReconnect?: (info: ReconnectInfo) => void;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function numericId(id: string | undefined): number | undefined {
  if (id === undefined || !/^\d+$/.test(id)) return undefined;
  return Number(id);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = cause && typeof cause === "object" && "code" in cause ? String((cause as { code: unknown }).code) : undefined;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/**
 * Follows an event stream, yielding each message once, in order, across
 * dropped connections: after a drop (the body ends or errors, or stays silent
 * past `idleTimeoutMs`) it reconnects with `Last-Event-ID: <last id seen>`.
 * Messages whose numeric id is not above the last one seen are dropped, so a
 * server that replays never produces a duplicate. Returns after the message
 * `isLast` accepts; throws SseHttpError on a 4xx answer and SseGaveUpError after
 * `maxRetries` failed tries in a row.
 */
export async function* followSse(options: FollowOptions): AsyncGenerator<SseMessage, void, undefined> {
  const doFetch = options.fetch ?? fetch;
  const maxRetries = options.maxRetries ?? 8;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let retryMs = options.retryMs ?? 1000;
  let lastEventId = options.lastEventId;
  let failures = 0;

  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const parser = new SseParser();
    const connection = new AbortController();
    const onAbort = () => connection.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => connection.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    let reason: string;
    let progressed = false;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream", "cache-control": "no-cache", ...options.headers };
      if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
      armIdle();
      const res = await doFetch(options.url, { headers, signal: connection.signal });
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw new SseHttpError(res.status, await res.text().catch(() => ""));
      }
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`event stream answered status ${res.status}`);
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          armIdle();
          for (const message of parser.push(value)) {
            const seq = numericId(message.id);
            const last = numericId(lastEventId);
            if (seq !== undefined && last !== undefined && seq <= last) continue; // replayed: already yielded
            if (message.id !== undefined) lastEventId = message.id;
            progressed = true;
            failures = 0;
            yield message;
            if (options.isLast?.(message)) return;
          }
        }
      } finally {
        reader.cancel().catch(() => {});
      }
      reason = "the server closed the stream";
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof SseHttpError) throw error;
      reason = connection.signal.aborted ? describe(connection.signal.reason) : describe(error);
    } finally {
      clearTimeout(idleTimer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    if (parser.retry !== undefined) retryMs = parser.retry;
    if (!progressed) failures += 1;
    if (failures > maxRetries) throw new SseGaveUpError(reason, lastEventId);
    const delayMs = Math.min(maxRetryMs, retryMs * 2 ** Math.max(0, failures - 1));
    options.onReconnect?.({ attempt: Math.max(1, failures), lastEventId, reason, delayMs });
    await sleep(delayMs, options.signal);
  }
}
