// A runtime host that reports a fanout item's result over RPC can take the fanout's next item in
// the same call: the item is committed as running on that host and its request goes back with the
// answer, instead of a dispatch of its own (an RPC to the runtime Worker and another to the host).
// The host runs it like a dispatched step. A host that reports several results together takes up
// to as many items. One Handoff lives for one report; it is passed down explicitly, never kept on
// the run, because other reports are applied while this one awaits.
import type { InvokeRequest } from "../../../../shared/contracts/runtime.ts";

export class Handoff {
  /** The reporting items' host, once per item it can take, on offer until an item is given to it. */
  private readonly offered: string[] = [];
  /** What the host is to run next, once committed. */
  readonly requests: InvokeRequest[] = [];
  /** How many items the host can take with this report. */
  private readonly capacity: number;

  constructor(capacity = 1) {
    this.capacity = capacity;
  }

  /** A finished item's host offers to run another item (at most one per result, `capacity` in all). */
  offer(hostKey: string): void {
    if (this.offered.length + this.requests.length < this.capacity) this.offered.push(hostKey);
  }

  /** A host on offer, taken: the caller gives it the next item. Undefined when none is on offer. */
  claim(): string | undefined {
    return this.offered.shift();
  }

  /** The request of an item committed as running on the claimed host. */
  give(request: InvokeRequest): void {
    this.requests.push(request);
  }
}
