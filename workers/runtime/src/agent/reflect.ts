// The reflect pass: when the agent declares a reflect prompt, a parsed draft gets a second
// opinion (system = reflect prompt, then the user message and the draft), with no tool history.
import type { ChatMessage, InvokeRequest } from "../../../../shared/contracts/runtime.ts";
import type { GatewayResult, GatewayTool } from "../gateway-client.ts";
import { extractOutput } from "./extract.ts";
import type { MetricsTally } from "./metrics.ts";
import { INVALID_JSON_CORRECTION } from "./prompt.ts";

export const REFLECT_OUTPUT_INVALID = "reflect_output_invalid";

/** Reserved flags that fail a draft before reflect runs, with their step errors. */
const FATAL_FLAGS: ReadonlyArray<[flag: string, error: string]> = [
  ["ktsu_injection_attempt", "injection attempt detected"],
  ["ktsu_untrusted_content", "untrusted content detected"],
  ["ktsu_low_quality", "low quality output"],
  ["ktsu_needs_human", "needs_human_review"],
];

export type Llm = (messages: ChatMessage[], tools?: GatewayTool[]) => Promise<GatewayResult>;

export type ReflectResult = { ok: true; output: Record<string, unknown> } | { ok: false; error: string; raw_output?: string };

/** A flag that is present and either `true` or not a boolean is fatal. */
export function fatalFlagError(draft: Record<string, unknown>): string | undefined {
  for (const [flag, error] of FATAL_FLAGS) {
    if (Object.hasOwn(draft, flag) && draft[flag] !== false) return error;
  }
  return undefined;
}

/**
 * Reflect by default; skip only when the schema declares `ktsu_confidence`, a positive
 * threshold is set, and the draft's confidence reaches it (equality skips).
 */
export function shouldReflect(outputSchema: Record<string, unknown> | undefined, threshold: number | undefined, draft: Record<string, unknown>): boolean {
  const properties = outputSchema?.properties;
  const declares = typeof properties === "object" && properties !== null && Object.hasOwn(properties, "ktsu_confidence");
  if (!declares) return true;
  if (threshold === undefined || !(threshold > 0)) return true;
  const confidence = draft.ktsu_confidence;
  return typeof confidence !== "number" || confidence < threshold;
}

/** Runs reflect when the request asks for it; otherwise returns the draft unchanged. */
export async function applyReflect(request: InvokeRequest, draft: Record<string, unknown>, llm: Llm, metrics: MetricsTally): Promise<ReflectResult> {
  if (!request.reflect) return { ok: true, output: draft };
  const fatal = fatalFlagError(draft);
  if (fatal) return { ok: false, error: fatal };
  if (!shouldReflect(request.output_schema, request.confidence_threshold, draft)) return { ok: true, output: draft };

  const messages: ChatMessage[] = [
    { role: "system", content: request.reflect },
    { role: "user", content: request.user_message },
    { role: "user", content: JSON.stringify(draft) },
  ];
  const first = await llm(messages);
  if (!first.ok) return { ok: false, error: first.error };
  metrics.addLlmCall(first.reply);
  metrics.addReflectCall();
  const revised = extractOutput(first.reply.content);
  if (revised.ok) return { ok: true, output: revised.output };

  // One correction; the reflect output replaces the draft, never merges with it.
  messages.push({ role: "assistant", content: first.reply.content }, { role: "user", content: INVALID_JSON_CORRECTION });
  const second = await llm(messages);
  if (!second.ok) return { ok: false, error: `reflect correction gateway: ${second.error}` };
  metrics.addLlmCall(second.reply);
  metrics.addReflectCall();
  const corrected = extractOutput(second.reply.content);
  if (corrected.ok) return { ok: true, output: corrected.output };
  return { ok: false, error: REFLECT_OUTPUT_INVALID, raw_output: second.reply.content };
}
