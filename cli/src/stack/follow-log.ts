// Reading the local stack's log file from another process (`ktsu logs`): what
// is there, then, when following, whatever is appended, as `tail -f` does.

import { createReadStream, existsSync, statSync } from "node:fs";

/** Copies the bytes of `file` from `start` to `end` (exclusive) to `write`. */
function copyRange(file: string, start: number, end: number, write: (chunk: Buffer) => void): Promise<void> {
  if (end <= start) return Promise.resolve();
  return new Promise((resolve, reject) => {
    createReadStream(file, { start, end: end - 1 })
      .on("data", (chunk) => write(chunk as Buffer))
      .once("error", reject)
      .once("end", resolve);
  });
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface FollowOptions {
  /** Keep reading what is appended until `signal` aborts (else stop at the end). */
  follow: boolean;
  signal?: AbortSignal;
  /** How often a followed file is looked at. */
  pollMs?: number;
}

/**
 * Writes `file` to `write`; when following, waits for the file to appear and then for
 * appended lines. A file that shrank (a new stack on a cleared state dir) is read from its start.
 */
export async function readLog(file: string, write: (chunk: Buffer) => void, options: FollowOptions): Promise<void> {
  let offset = 0;
  const size = () => (existsSync(file) ? statSync(file).size : 0);
  for (;;) {
    const end = size();
    if (end < offset) offset = 0;
    await copyRange(file, offset, end, write);
    offset = Math.max(offset, end);
    if (!options.follow || options.signal?.aborted) return;
    await pause(options.pollMs ?? 200, options.signal);
  }
}
