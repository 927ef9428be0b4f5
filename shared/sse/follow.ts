// Follows a Server-Sent Events stream over fetch across dropped connections,
// reconnecting with `Last-Event-ID`. The CLI (`ktsu invoke --wait`) and the web
// run viewer both read run events through this one loop; they use fetch rather
// than EventSource because EventSource cannot send an Authorization header.
import { SseMessageReader, type SseMessage } from "./messages.ts";

export type { SseMessage } from "./messages.ts";

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
  /**
   * Asked when the server closes a connection that delivered no message: true
   * ends the stream quietly. Lets a reader that resumes after the final message
   * (which the server will never send again) stop instead of reconnecting.
   */
  isOver?: () => Promise<boolean>;
  signal?: AbortSignal;
  /**
   * How to make the request. Passed in, never taken from the global scope:
   * shared code may run in a Worker, and only the gateway Worker fetches out.
   */
  fetch: (url: string | URL, init: RequestInit) => Promise<Response>;
  headers?: Record<string, string>;
  /** Consecutive failed (re)connections tolerated before giving up. Default 8; Infinity never gives up. */
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

/** The error's message plus the system error code of its cause (ECONNREFUSED, …), when it has one. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    const code = cause && typeof cause === "object" && "code" in cause ? String(cause.code) : undefined;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** HTTP statuses that retrying cannot fix: client errors, except timeout and rate limiting. */
function isFinalStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Follows an event stream, yielding each message once, in order, across
 * dropped connections: after a drop (the body ends or errors, or stays silent
 * past `idleTimeoutMs`) it reconnects with `Last-Event-ID: <last id seen>`,
 * after the server's `retry:` delay (a message carrying only `retry:` sets it
 * and yields nothing). Messages whose numeric id is not above the last one seen
 * are dropped, so a server that replays never produces a duplicate. Returns
 * after the message `isLast` accepts (or when `isOver` says so); throws
 * SseHttpError on a 4xx answer and SseGaveUpError after `maxRetries` failed
 * tries in a row.
 */
export async function* followSse(options: FollowOptions): AsyncGenerator<SseMessage, void, undefined> {
  const maxRetries = options.maxRetries ?? 8;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let retryMs = options.retryMs ?? 1000;
  let lastEventId = options.lastEventId;
  let failures = 0;

  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const reader = new SseMessageReader();
    const connection = new AbortController();
    const onAbort = () => connection.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => connection.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    let reason: string;
    let progressed = false;
    let closedEmpty = false;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream", "cache-control": "no-cache", ...options.headers };
      if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
      armIdle();
      const res = await options.fetch(options.url, { headers, signal: connection.signal });
      if (isFinalStatus(res.status)) throw new SseHttpError(res.status, await res.text().catch(() => ""));
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`event stream answered status ${res.status}`);
      }
      const body = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { done, value } = await body.read();
          if (done) break;
          armIdle();
          for (const message of reader.push(value)) {
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
        body.cancel().catch(() => {});
      }
      reason = "the server closed the stream";
      closedEmpty = !progressed;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof SseHttpError) throw error;
      reason = connection.signal.aborted ? describe(connection.signal.reason) : describe(error);
    } finally {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    if (closedEmpty && (await options.isOver?.())) return;
    if (reader.retry !== undefined) retryMs = reader.retry;
    if (!progressed) failures += 1;
    if (failures > maxRetries) throw new SseGaveUpError(reason, lastEventId);
    const delayMs = Math.min(maxRetryMs, retryMs * 2 ** Math.max(0, failures - 1));
    options.onReconnect?.({ attempt: Math.max(1, failures), lastEventId, reason, delayMs });
    await sleep(delayMs, options.signal);
  }
}
