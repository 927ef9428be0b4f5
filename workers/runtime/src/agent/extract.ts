// Reading the agent's JSON output from the model's last reply, with one documented tolerance: when the whole
// (fence-stripped) text is not a JSON object, the first balanced `{…}` in it is
// tried, so "Here is the result: {...}" is accepted instead of costing a turn.

import { closingBrace } from "../../../../shared/text/braces.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import { isPlainObject } from "../../../../shared/util/objects.ts";

export type Extracted = { ok: true; output: Record<string, unknown> } | { ok: false; error: string };

/** Removes a leading code fence line and everything from the last fence on. */
export function stripCodeFence(content: string): string {
  const text = content.trim();
  if (!text.startsWith("```")) return text;
  const firstNewline = text.indexOf("\n");
  if (firstNewline < 0) return "";
  const body = text.slice(firstNewline + 1);
  const lastFence = body.lastIndexOf("```");
  return (lastFence >= 0 ? body.slice(0, lastFence) : body).trim();
}

/** The first balanced `{…}` span (string-aware), or undefined. */
function outermostObject(text: string): string | undefined {
  const start = text.indexOf("{");
  const end = start < 0 ? -1 : closingBrace(text, start);
  return end < 0 ? undefined : text.slice(start, end + 1);
}

function parseObject(text: string): Extracted {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? { ok: true, output: value } : { ok: false, error: "LLM output is not valid JSON: not a JSON object" };
  } catch (err) {
    return { ok: false, error: `LLM output is not valid JSON: ${errorMessage(err)}` };
  }
}

export function extractOutput(content: string): Extracted {
  const text = stripCodeFence(content);
  const whole = parseObject(text);
  if (whole.ok) return whole;
  const embedded = outermostObject(text);
  if (embedded === undefined || embedded === text) return whole;
  const inner = parseObject(embedded);
  return inner.ok ? inner : whole;
}
