// Prompt construction (system prompt plus output schema, then the user message) and the
// fixed texts the loop speaks to the model (JSON correction, forced final turn).
import type { ChatMessage, InvokeRequest } from "../../../../shared/contracts/runtime.ts";

export const SCHEMA_INSTRUCTION = "Your output MUST conform to this JSON schema:";
export const INVALID_JSON_CORRECTION = "Your response was not valid JSON. Please respond with only a valid JSON object and nothing else.";
export const FINAL_TURN_INSTRUCTION =
  "You have reached the maximum number of tool calls. Provide your final answer now without requesting any additional tools.";

/** A copy with object keys sorted at every depth (Go marshals maps in key order). */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value === "object" && value !== null) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

/** `system`, plus the output schema (2-space indent, keys sorted) when there is one. */
export function buildSystemPrompt(system: string, outputSchema: Record<string, unknown> | undefined): string {
  if (!outputSchema || Object.keys(outputSchema).length === 0) return system;
  return `${system}\n\n${SCHEMA_INSTRUCTION}\n${JSON.stringify(sortKeysDeep(outputSchema), null, 2)}`;
}

/** The conversation a fresh (non-resumed) step starts with. */
export function initialMessages(request: InvokeRequest): ChatMessage[] {
  return [
    { role: "system", content: buildSystemPrompt(request.system, request.output_schema) },
    { role: "user", content: request.user_message },
  ];
}
