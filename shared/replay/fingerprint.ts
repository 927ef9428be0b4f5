// A short fingerprint of the messages an LLM call sent: what a fanout item's call record keeps
// instead of its conversation, so `ktsu replay` can tell whether a replayed request still
// matches the recording without the Store keeping every item's messages. The runtime computes
// it on the masked messages it sends; the replay computes it on the masked messages it
// receives. Both sides reduce a message to the fields that survive the trip through the
// gateway (role, text, tool calls with their ids and arguments, the answered call's id), with
// object keys sorted, so the wire format in between does not change the fingerprint.
//
// The hash is cyrb53 (a public-domain 53-bit string hash): synchronous, one pass, no await per
// call on the item's hot path. It tells a changed request from an unchanged one; it is not a
// security measure (the messages it is computed on are masked already).

import type { ChatMessage } from "../contracts/runtime.ts";
import { canonicalJson } from "../expr/format.ts";

/** The fields of a message the fingerprint covers, in a fixed order. */
function canonical(message: ChatMessage): unknown[] {
  const calls = (message.tool_calls ?? []).map((call) => [call.id, call.name, call.arguments ?? {}]);
  return [message.role, message.content, calls, message.tool_call_id ?? ""];
}

/** cyrb53 of `text` (its UTF-16 code units), as 14 hex digits. */
export function cyrb53(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}

/** The fingerprint of the messages one LLM call sent (masked as they are stored). */
export function promptFingerprint(messages: readonly ChatMessage[]): string {
  return cyrb53(canonicalJson(messages.map(canonical)));
}
