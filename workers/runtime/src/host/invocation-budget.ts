// The subrequests a host makes in its current invocation. The platform caps them per invocation
// (50 on Workers Free), and a host that takes fanout items with its results runs them inside the
// invocation that last reached it (a dispatch or its alarm): every LLM call, tool call and report
// of every step it runs counts here, so the host asks for next items only while they fit.
import type { SubrequestCounter } from "../../../../shared/util/subrequests.ts";

/** The Workers Free plan's subrequests per invocation: the lowest limit a deploy can have. */
export const SUBREQUESTS_PER_INVOCATION = 50;
/** What one handed item costs at most: its LLM call and a report of its own. */
const SUBREQUESTS_PER_ITEM = 2;

export class InvocationBudget implements SubrequestCounter {
  private used = 0;

  add(): void {
    this.used += 1;
  }

  /** A new invocation reached the host (a dispatch or the alarm): the count starts again. */
  reset(): void {
    this.used = 0;
  }

  get spent(): number {
    return this.used;
  }

  /** How many more items fit, with `pendingReports` results of steps still running to report. */
  items(pendingReports: number): number {
    return Math.max(0, Math.floor((SUBREQUESTS_PER_INVOCATION - this.used - pendingReports) / SUBREQUESTS_PER_ITEM));
  }
}
