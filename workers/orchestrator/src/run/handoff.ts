// A runtime host that reports a fanout item's result over RPC can take the fanout's next item in
// the same call: the item is committed as running on that host and its request goes back with the
// answer, instead of a dispatch of its own (an RPC to the runtime Worker and another to the host).
// The host runs it like a dispatched step. One Handoff lives for one result; it is passed down
// explicitly, never kept on the run, because other results are applied while this one awaits.
import type { InvokeRequest } from "../../../../shared/contracts/runtime.ts";

export class Handoff {
  /** The reporting item's host, on offer until an item is given to it. */
  private offered: string | undefined;
  /** What the host is to run next, once committed. */
  readonly requests: InvokeRequest[] = [];

  /** The finished item's host offers to run another item (at most one per result). */
  offer(hostKey: string): void {
    if (this.requests.length === 0) this.offered = hostKey;
  }

  /** The host on offer, taken: the caller gives it the next item. Undefined when none is on offer. */
  claim(): string | undefined {
    const hostKey = this.offered;
    this.offered = undefined;
    return hostKey;
  }

  /** The request of an item committed as running on the claimed host. */
  give(request: InvokeRequest): void {
    this.requests.push(request);
  }
}
