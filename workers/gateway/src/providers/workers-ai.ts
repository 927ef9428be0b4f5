// Workers AI through the gateway's `AI` binding: `env.AI.run(model, inputs)`,
// no key and no URL. Messages and tools go in Chat Completions form, which
// Workers AI's function-calling models take; the reply is `{response,
// tool_calls, usage}` (or, from some models, a Chat Completions body).

import type { GatewayToolCall } from "../../../../shared/contracts/gateway.ts";
import { isPlainObject } from "../../../../shared/util/objects.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import type { ResolvedProvider } from "../config.ts";
import { callerGone, GatewayError } from "../errors.ts";
import { aiGatewayMetadata } from "./ai-gateway.ts";
import { asNumber } from "./http.ts";
import { parseOpenAIReply, toOpenAIMessage, toOpenAITool, toolArguments } from "./openai.ts";
import type { CompletionRequest, CompletionResult, ProviderClient } from "./types.ts";

/** The part of the `AI` binding the gateway uses (a local stand-in implements just this). */
export interface WorkersAiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Workers AI's error codes (its errors page) that sending the request again cannot fix;
 * any other code (3040 out of capacity, 3007 timeout…) and a failure without a code are transient.
 */
const PERMANENT_CODES = new Set(["5007", "5004", "3039", "3003", "5018", "5016", "3023", "3041", "5019", "5005", "3042", "3006"]);
/** 3036: the account's daily neuron allocation is used up. */
const ACCOUNT_LIMITED = "3036";

function fail(message: string): GatewayError {
  return new GatewayError("internal_error", `workers_ai provider: ${message}`);
}

export function toWorkersAiInputs(req: CompletionRequest): Record<string, unknown> {
  // Every message carries a string content: the binding's message schema requires one.
  const messages = req.messages.map((m) => ({ ...toOpenAIMessage(m), content: m.content ?? "" }));
  const inputs: Record<string, unknown> = { messages, max_tokens: req.maxTokens, temperature: req.temperature };
  if (req.tools && req.tools.length > 0) inputs.tools = req.tools.map(toOpenAITool);
  return inputs;
}

/** A thrown binding error as a gateway error: the code in its message (`<code>: <text>`) decides the kind. */
export function workersAiError(err: unknown): GatewayError {
  const message = errorMessage(err);
  const code = /\b([35]\d{3}):/.exec(message)?.[1] ?? "";
  const text = `workers ai returned an error: ${message}`;
  if (code === ACCOUNT_LIMITED) return new GatewayError("budget_exceeded", text);
  return new GatewayError("provider_error", text, { retryable: !PERMANENT_CODES.has(code), cause: err });
}

function toolCallOf(raw: unknown, index: number): GatewayToolCall {
  if (!isPlainObject(raw)) throw fail("decode response: a tool call is not an object");
  // Current models answer `{id, type, function: {name, arguments}}`; older ones `{name, arguments}`.
  const fn = isPlainObject(raw.function) ? raw.function : raw;
  if (typeof fn.name !== "string" || fn.name === "") throw fail("decode response: tool call without a name");
  const id = typeof raw.id === "string" && raw.id !== "" ? raw.id : `call_${index}`;
  return { id, name: fn.name, arguments: toolArguments(fn.arguments) };
}

export function parseWorkersAiReply(reply: unknown): CompletionResult {
  if (!isPlainObject(reply)) throw fail("decode response: the binding returned no object");
  if (Array.isArray(reply.choices)) {
    return parseOpenAIReply({ status: 200, headers: new Headers(), text: JSON.stringify(reply) });
  }
  const response = reply.response;
  const content = typeof response === "string" ? response : response === undefined || response === null ? "" : JSON.stringify(response);
  const toolCalls = Array.isArray(reply.tool_calls) ? reply.tool_calls.map(toolCallOf) : [];
  if (content === "" && toolCalls.length === 0) throw fail("empty response and no tool calls");
  const usage = isPlainObject(reply.usage) ? reply.usage : {};
  return { content, toolCalls, usage: { input: asNumber(usage.prompt_tokens), output: asNumber(usage.completion_tokens), cacheRead: 0, cacheWrite: 0 } };
}

/** The binding as the gateway sees it: absent on `ktsu start`, where Workers AI has no local simulation. */
export function workersAiBinding(env: Record<string, unknown>): WorkersAiBinding | undefined {
  const ai = env.AI as { run?: unknown } | undefined;
  return ai && typeof ai.run === "function" ? (ai as WorkersAiBinding) : undefined;
}

export function workersAiClient(provider: ResolvedProvider, timeoutMs: number, binding: WorkersAiBinding | undefined): ProviderClient {
  return {
    type: "workers_ai",
    async complete(req) {
      if (!binding) {
        throw new GatewayError(
          "invalid_model_config",
          `provider "${provider.name}": Workers AI needs the gateway's AI binding, which only Cloudflare provides (no local simulation): deploy the project with ktsu deploy`,
        );
      }
      const options: Record<string, unknown> = {};
      if (provider.aiGatewayId) options.gateway = { id: provider.aiGatewayId, ...(req.tags ? { metadata: aiGatewayMetadata(req.tags) } : {}) };
      let timer: ReturnType<typeof setTimeout> | null = null;
      // The binding's run() takes no signal: a timeout, or the caller going away, ends the wait for it.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new GatewayError("provider_error", `workers ai call timed out after ${timeoutMs} ms`, { retryable: true })), timeoutMs);
        if (req.signal?.aborted) reject(callerGone());
        req.signal?.addEventListener("abort", () => reject(callerGone()), { once: true });
      });
      let reply: unknown;
      try {
        reply = await Promise.race([binding.run(req.model, toWorkersAiInputs(req), options), timeout]);
      } catch (err) {
        throw err instanceof GatewayError ? err : workersAiError(err);
      } finally {
        if (timer !== null) clearTimeout(timer);
      }
      return parseWorkersAiReply(reply);
    },
  };
}
