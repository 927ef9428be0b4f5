import type { RunEvent } from "../../../../shared/contracts/records.ts";

const encoder = new TextEncoder();
/** A comment line every so often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** One event in Server-Sent Events format; the id is the run's event sequence number. */
export function formatSse(event: RunEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

interface Subscriber {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  keepalive: ReturnType<typeof setInterval>;
}

/**
 * The live event streams of one run, held by its Durable Object. A subscriber
 * first gets the stored events after its `Last-Event-ID`, then every new one as
 * it is committed; streams close when the run has ended.
 */
export class EventHub {
  private readonly subscribers = new Set<Subscriber>();

  subscribe(backlog: RunEvent[], ended: boolean): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const subscriber: Subscriber = {
      writer,
      keepalive: setInterval(() => this.write(subscriber, ": keepalive\n\n"), KEEPALIVE_MS),
    };
    this.subscribers.add(subscriber);
    this.write(subscriber, "retry: 1000\n\n");
    for (const event of backlog) this.write(subscriber, formatSse(event));
    if (ended) this.close(subscriber);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" },
    });
  }

  publish(events: RunEvent[], ended: boolean): void {
    for (const subscriber of this.subscribers) {
      for (const event of events) this.write(subscriber, formatSse(event));
      if (ended) this.close(subscriber);
    }
  }

  private write(subscriber: Subscriber, text: string): void {
    // A client that went away makes the write fail: drop it.
    subscriber.writer.write(encoder.encode(text)).catch(() => this.close(subscriber));
  }

  private close(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    clearInterval(subscriber.keepalive);
    subscriber.writer.close().catch(() => {});
  }
}
