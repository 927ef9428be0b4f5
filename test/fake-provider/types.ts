// Shared types for the fake LLM provider. Test-only: never import from Worker code.

export type FakeApi = "anthropic" | "openai";

export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface FakeUsage {
  /** Uncached input tokens (Anthropic semantics; OpenAI's prompt_tokens adds the cache tokens). */
  input_tokens?: number;
  output_tokens?: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
}

export interface FakeError {
  type?: string;
  message: string;
  code?: string;
}

/** One scripted response; applies to whichever API is called next. */
export interface FakeReply {
  text?: string;
  tool_calls?: FakeToolCall[];
  usage?: FakeUsage;
  status?: number;
  error?: FakeError;
  headers?: Record<string, string>;
  raw_body?: string;
  delay_ms?: number;
  hang?: boolean;
  stop_reason?: string;
}

export interface RecordedCall {
  api: FakeApi;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text when it was not valid JSON. */
  body: unknown;
  /** Set when the client closed the connection before the reply was sent (the call was aborted). */
  aborted?: true;
}

/** What an API adapter extracts from a request, so reply logic stays API-neutral. */
export interface ParsedRequest {
  model: string;
  /** All system text joined with newlines. */
  system: string;
  /** Text of the last user message that has any text. */
  lastUserText: string;
  /** Characters across system + messages, for the default usage estimate. */
  inputChars: number;
  /** Assistant messages already in the conversation: the turn a plan answers. */
  assistantTurns: number;
  /** A schema from the request body itself (OpenAI response_format), used as a fallback. */
  responseSchema?: Record<string, unknown>;
}

export interface CompletedToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** An API-neutral successful reply, rendered by each adapter into its wire format. */
export interface Completion {
  text?: string;
  toolCalls: CompletedToolCall[];
  usage: { input: number; output: number; cacheRead: number; cacheWrite: number };
  /** As scripted (either API's vocabulary); adapters translate and default it. */
  stopReason?: string;
}

/** The per-API half of the server: auth, request parsing and body shapes. */
export interface ApiAdapter {
  api: FakeApi;
  /** Returns an error message when the credentials are missing, else null. */
  checkAuth(headers: Record<string, string>): string | null;
  /** Returns the parsed request, or a validation error message. */
  parse(body: unknown): ParsedRequest | string;
  successBody(req: ParsedRequest, completion: Completion, newId: (prefix: string) => string): unknown;
  errorBody(status: number, error: FakeError): unknown;
  toolCallIdPrefix: string;
}

/**
 * A stateless script for one agent: the first plan whose `match` occurs in the
 * system prompt (or, with `in: "user"`, in the last user message: one agent's fanout
 * items told apart) answers turn N with `replies[min(N, last)]`, N being the number of
 * assistant messages so far. Stateless, so it works for any number of runs at once.
 */
export interface FakePlan {
  match: string;
  in?: "system" | "user";
  replies: FakeReply[];
}
