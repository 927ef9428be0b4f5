// Whether a replayed LLM request still matches the recording: the conversation sent (the
// prompt, and the tool results fed back), the tools offered, and the model. Secrets are masked
// on the replayed side as the Store masked them on the recorded side before comparing.

import type { ChatMessage } from "../../../shared/contracts/runtime.ts";
import { promptFingerprint } from "../../../shared/replay/fingerprint.ts";
import type { Scrubber } from "../../../shared/secrets/scrub.ts";
import type { RecordedTurn } from "./conversation.ts";
import { sameJson } from "./conversation.ts";

/** What no longer matches, as the report prints it. */
export interface RequestMismatch {
  what: "prompt" | "tools" | "model" | "calls";
  detail: string;
}

/** The request as the replay server received it, in the runtime's message shape. */
export interface ReplayedRequest {
  /** `<provider>/<model>` the gateway called. */
  model: string;
  messages: ChatMessage[];
  tools: string[];
}

const EXCERPT = 80;
/** Characters shown before the first difference. */
const CONTEXT = 20;

const SUBJECT: Record<RequestMismatch["what"], string> = {
  prompt: "the prompt no longer matches",
  tools: "the tools offered no longer match",
  model: "the model no longer matches",
  calls: "the LLM calls no longer match",
};

/** `the prompt no longer matches the recording: system message 1 was …, is …`. */
export function describeMismatch(mismatch: RequestMismatch): string {
  return `${SUBJECT[mismatch.what]} the recording: ${mismatch.detail}`;
}

/** Up to EXCERPT characters of `text` (whitespace runs as one space), starting a little before `from`. */
function excerpt(text: string, from = 0): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const start = Math.max(0, from - CONTEXT);
  const shown = flat.slice(start, start + EXCERPT);
  return JSON.stringify(`${start > 0 ? "…" : ""}${shown}${start + EXCERPT < flat.length ? "…" : ""}`);
}

/** Where two texts (whitespace runs as one space) first differ. */
function firstDifference(a: string, b: string): number {
  const x = a.replace(/\s+/g, " ").trim();
  const y = b.replace(/\s+/g, " ").trim();
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i;
}

/** The first place two conversations part, in words. */
function conversationDiff(recorded: ChatMessage[], replayed: ChatMessage[]): string | null {
  const length = Math.max(recorded.length, replayed.length);
  for (let i = 0; i < length; i++) {
    const was = recorded[i];
    const now = replayed[i];
    if (!was) return `message ${i + 1} (${now!.role}) is new: ${excerpt(now!.content)}`;
    if (!now) return `message ${i + 1} (${was.role}) is no longer sent: ${excerpt(was.content)}`;
    if (was.role !== now.role) return `message ${i + 1} was ${was.role}, is ${now.role}`;
    if (was.content !== now.content) {
      const at = firstDifference(was.content, now.content);
      return `${was.role} message ${i + 1} was ${excerpt(was.content, at)}, is ${excerpt(now.content, at)}`;
    }
    if (!sameJson(was.tool_calls ?? [], now.tool_calls ?? []) || (was.tool_call_id ?? "") !== (now.tool_call_id ?? "")) {
      return `${was.role} message ${i + 1}: its tool calls differ`;
    }
  }
  return null;
}

/** A turn recorded as a fingerprint: what the replayed request sends first, for the reader to compare by eye. */
function fingerprintDiff(messages: ChatMessage[], call: number): string {
  const first = messages.find((m) => m.role === "system") ?? messages[0];
  const now = first ? `; it now sends ${first.role} message ${messages.indexOf(first) + 1} ${excerpt(first.content)}` : "";
  return `call ${call}: the messages sent differ from the recorded ones (a fanout item's record keeps their fingerprint, not their text)${now}`;
}

/** `call`: the turn's number, named when only a fingerprint was recorded. */
export function checkRequest(
  turn: RecordedTurn,
  recordedModel: string | undefined,
  request: ReplayedRequest,
  scrub: Scrubber,
  call = 1,
): RequestMismatch | null {
  const model = turn.model ?? recordedModel;
  if (model && model !== request.model) return { what: "model", detail: `the recording was answered by ${model}, the request goes to ${request.model}` };
  if (turn.request) {
    const diff = conversationDiff(turn.request, scrub.value(request.messages));
    if (diff) return { what: "prompt", detail: diff };
  } else if (turn.fingerprint) {
    const masked = scrub.value(request.messages);
    if (promptFingerprint(masked) !== turn.fingerprint) return { what: "prompt", detail: fingerprintDiff(masked, call) };
  }
  const missing = (turn.reply?.tool_calls ?? []).map((c) => c.name).filter((name) => !request.tools.includes(name));
  if (missing.length > 0) return { what: "tools", detail: `the recorded reply calls ${missing.join(", ")}, which the request no longer offers` };
  return null;
}
