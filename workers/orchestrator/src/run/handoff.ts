// A runtime host that reports a fanout item's result over RPC takes the fanout's next items in the
// same call, instead of a dispatch of their own (an RPC to the runtime Worker and another to the
// host). Each reported item offers its slot on the host:
// - a slot whose item had nothing waiting behind it is free: it takes one item to run now and,
//   when the host can queue, one more to wait behind that one;
// - a slot whose item had an item waiting behind it already runs that one (the host started it as
//   soon as the result was ready, before reporting): it takes one item to wait behind it.
// So while the fanout has work for every slot, a slot's next item is on the host before its
// running item ends, and starts without waiting for the report's round trip. Every item handed
// over is committed as running on that host (with its `host_key`, so a cancel reaches it there)
// before the answer leaves. One Handoff lives for one report; it is passed down explicitly, never
// kept on the run, because other reports are applied while this one awaits.
import type { InvokeRequest } from "../../../../shared/contracts/runtime.ts";
import type { CompleteAnswer, ItemPlacement } from "../../../../shared/contracts/service-rpc.ts";

/** A slot of the reporting host on offer: `forStep` is the reported item that offered it. */
export interface SlotOffer {
  hostKey: string;
  forStep: string;
  /** The index of the item running in the slot: the next one waits behind it. Absent: the slot is free. */
  behind?: number;
}

export class Handoff {
  private readonly free: SlotOffer[] = [];
  private readonly queues: SlotOffer[] = [];
  private readonly requests: InvokeRequest[] = [];
  private readonly placements: ItemPlacement[] = [];
  /** How many items the host can take with this report. */
  private readonly capacity: number;
  /** Whether the host can keep an item waiting behind a running one (it asked `queue`). */
  private readonly queue: boolean;

  constructor(capacity = 1, queue = false) {
    this.capacity = capacity;
    this.queue = queue;
  }

  /** A reported item's host offers its slot; `behind`: the item already waiting there, which now runs. */
  offer(hostKey: string, forStep: string, behind?: number): void {
    if (behind === undefined) this.free.push({ hostKey, forStep });
    else if (this.queue) this.queues.push({ hostKey, forStep, behind });
  }

  private get full(): boolean {
    return this.requests.length >= this.capacity;
  }

  /** A free slot, taken: the caller commits the next item as running there. */
  claimFree(): SlotOffer | undefined {
    return this.full ? undefined : this.free.shift();
  }

  /** A slot whose next item is to wait behind its running one. */
  claimQueue(): SlotOffer | undefined {
    return this.full ? undefined : this.queues.shift();
  }

  /** The item (at `index`) committed as running in a free slot: with a queue, the slot may take one more to wait behind it. */
  giveToRun(offer: SlotOffer, request: InvokeRequest, index: number): void {
    this.requests.push(request);
    this.placements.push({ for_step: offer.forStep });
    if (this.queue) this.queues.push({ ...offer, behind: index });
  }

  /** The item committed as waiting behind `behindStep` on the offered slot's host. */
  giveToQueue(offer: SlotOffer, request: InvokeRequest, behindStep: string): void {
    this.requests.push(request);
    this.placements.push({ for_step: offer.forStep, after_step: behindStep });
  }

  /** The report's answer: the items, and where each goes when the host can queue. */
  answer(): CompleteAnswer {
    return this.queue ? { next: this.requests, placements: this.placements } : { next: this.requests };
  }
}
