import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

const PREFIX = "event:";
const SEQ_KEY = "event-seq";

/** Event ids sort as stored: the stream id, then a zero-padded sequence number. */
function eventKey(streamId: string, seq: number): string {
  return `${PREFIX}${streamId}:${String(seq).padStart(12, "0")}`;
}

function parseEventId(eventId: string): { streamId: string; key: string } | null {
  const at = eventId.lastIndexOf(":");
  if (at <= 0 || !/^\d{12}$/.test(eventId.slice(at + 1))) return null;
  return { streamId: eventId.slice(0, at), key: `${PREFIX}${eventId}` };
}

/**
 * The session's SSE events, kept in its Durable Object's storage so a client whose stream
 * dropped can resume it (`GET /mcp` with `Last-Event-ID`) and receive what it missed, also
 * after the object was evicted. Deleted with the session.
 */
export class DurableEventStore implements EventStore {
  private seq = 0;
  private loaded: Promise<void> | undefined;
  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  private async nextSeq(): Promise<number> {
    // One load shared by concurrent callers; the increment after it is synchronous, so ids never repeat.
    this.loaded ??= this.storage.get<number>(SEQ_KEY).then((stored) => {
      this.seq = stored ?? 0;
    });
    await this.loaded;
    const seq = ++this.seq;
    await this.storage.put(SEQ_KEY, seq);
    return seq;
  }

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const key = eventKey(streamId, await this.nextSeq());
    await this.storage.put(key, message);
    return key.slice(PREFIX.length);
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return parseEventId(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) throw new Error("unknown event id");
    const events = await this.storage.list<JSONRPCMessage>({ prefix: `${PREFIX}${parsed.streamId}:`, startAfter: parsed.key });
    for (const [key, message] of events) {
      // The priming event (an empty message) only hands the client its first id.
      if (Object.keys(message).length > 0) await send(key.slice(PREFIX.length), message);
    }
    return parsed.streamId;
  }
}
