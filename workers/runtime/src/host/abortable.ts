// A binding whose every fetch carries the step's abort signal: when the step is cancelled, the
// call in flight is aborted (the callee sees its request end) and any later call fails at once,
// before it is sent. The MCP transports pass a signal of their own; both then apply.
import { withFetch } from "../../../../shared/util/subrequests.ts";

/** Why a cancelled step's calls fail. */
export class StepCancelled extends Error {
  constructor() {
    super("the step was cancelled");
    this.name = "StepCancelled";
  }
}

export function abortableFetcher(binding: Fetcher, signal: AbortSignal): Fetcher {
  return withFetch(binding, (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (signal.aborted) return Promise.reject(signal.reason);
    const own = init?.signal ?? (input instanceof Request ? input.signal : null);
    return binding.fetch(input, { ...init, signal: own ? AbortSignal.any([own, signal]) : signal });
  });
}
