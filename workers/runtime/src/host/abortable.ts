// A binding whose every fetch carries the step's abort signal: when the step is cancelled, the
// call in flight is aborted (the callee sees its request end) and any later call fails at once,
// before it is sent. An RPC call cannot carry a signal: a later one fails before it is sent too.
// The MCP transports pass a signal of their own; both then apply.
import { wrapCalls } from "../../../../shared/util/subrequests.ts";

/** Why a cancelled step's calls fail. */
export class StepCancelled extends Error {
  constructor() {
    super("the step was cancelled");
    this.name = "StepCancelled";
  }
}

export function abortableFetcher<B extends Fetcher>(binding: B, signal: AbortSignal): B {
  return wrapCalls(binding, (call, name) => (...args) => {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (name !== "fetch") return call(...args);
    const [input, init] = args as [RequestInfo | URL, RequestInit | undefined];
    const own = init?.signal ?? (input instanceof Request ? input.signal : null);
    return call(input, { ...init, signal: own ? AbortSignal.any([own, signal]) : signal });
  });
}
