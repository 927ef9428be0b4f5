// Stands in for the Workers AI binding: `run(model, inputs, options)` answers in the
// binding's real output shape for text-generation models ({response, tool_calls, usage}),
// or throws as the binding does ("<code>: <message>"). Tests script replies and read the
// recorded calls over the same binding.
import { WorkerEntrypoint } from "cloudflare:workers";

export interface WorkersAiCall {
  model: string;
  inputs: Record<string, unknown>;
  options: Record<string, unknown> | undefined;
}

/** One scripted answer: the object `run()` resolves to, or the message of the error it throws. */
export type WorkersAiReply = { output: Record<string, unknown> } | { error: string };

const calls: WorkersAiCall[] = [];
const queue: WorkersAiReply[] = [];

/** A reply sized from the request, as the binding reports usage. */
function defaultOutput(inputs: Record<string, unknown>): Record<string, unknown> {
  const promptTokens = JSON.stringify(inputs.messages ?? "").length;
  return { response: "Hello from Workers AI.", tool_calls: [], usage: { prompt_tokens: promptTokens, completion_tokens: 5, total_tokens: promptTokens + 5 } };
}

export class FakeWorkersAi extends WorkerEntrypoint {
  async run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<Record<string, unknown>> {
    calls.push({ model, inputs, options });
    const next = queue.shift();
    if (next && "error" in next) throw new Error(next.error);
    return next ? next.output : defaultOutput(inputs);
  }

  script(replies: WorkersAiReply[]): void {
    queue.push(...replies);
  }

  calls(): WorkersAiCall[] {
    return calls;
  }

  reset(): void {
    calls.length = 0;
    queue.length = 0;
  }
}

export default {
  fetch(): Response {
    return new Response("Workers AI stand-in: call run() over RPC", { status: 404 });
  },
};
