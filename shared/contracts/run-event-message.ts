// Reading a run event from one message of a run's event stream (`GET /runs/{id}/events`),
// as the CLI and the run viewer both do.

import { isRunEventType } from "./events.ts";
import type { RunEvent } from "./records.ts";

/**
 * The run event a Server-Sent Events message carries: its `data` is the event's JSON, and
 * its `event` field names the type when the JSON lacks one. Null for anything else (a
 * message that is not JSON, or an event type this client does not know).
 */
export function decodeRunEvent(message: { data: string; event?: string }): RunEvent | null {
  let event: RunEvent;
  try {
    event = JSON.parse(message.data) as RunEvent;
  } catch {
    return null;
  }
  if (typeof event !== "object" || event === null) return null;
  if (!event.type && isRunEventType(message.event)) event.type = message.event;
  return isRunEventType(event.type) ? event : null;
}
