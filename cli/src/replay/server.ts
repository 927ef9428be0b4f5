// The replay's network edge: one local HTTP server the replay stack's gateway is pointed at,
// standing in for every LLM provider (OpenAI Chat Completions wire format, reached through the
// gateway's AI Gateway route, whose `cf-aig-metadata` header names the run and step), every
// MCP server (streamable HTTP, JSON replies) and every webhook target. Each answer comes from
// the recording; an LLM request that no longer matches it is refused, which stops that step.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createScrubber, type Scrubber } from "../../../shared/secrets/scrub.ts";
import { recordedStep, recordedToolNames, recordedToolResult, turnsOf } from "./conversation.ts";
import { runPathOf, stepName, type Recording, type RecordedStep } from "./recording.ts";
import { checkRequest, describeMismatch, type RequestMismatch } from "./request-check.ts";
import { fromOpenAIMessage, openAIReply, openAIError } from "./openai-wire.ts";

export interface ReplayServer {
  url: string;
  /** Serve this recording from now on (findings and turn counts start afresh). */
  use(recording: Recording): void;
  /** Per step (`stepName`): the first request that no longer matched the recording. */
  readonly mismatches: Map<string, RequestMismatch>;
  /** Tool calls the recording had no answer for. */
  readonly unanswered: string[];
  /** Fanout items answered from their recorded outputs, their requests unchecked (recorded before items kept fingerprints). */
  readonly unchecked: Set<string>;
  /** Masks the replay environment's secrets in requests before they are compared. */
  setSecrets(scrub: Scrubber): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export async function startReplayServer(): Promise<ReplayServer> {
  let scrub: Scrubber = createScrubber([]);
  let recording: Recording = { workflow: "", input: {}, steps: [] };
  const turnsTaken = new Map<string, number>();
  const mismatches = new Map<string, RequestMismatch>();
  const unanswered: string[] = [];
  const unchecked = new Set<string>();
  const findStep = (run: string, id: string): RecordedStep | undefined => recording.steps.find((s) => s.run === run && s.id === id);

  function llm(provider: string, req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse): void {
    const meta = parseObject(String(req.headers["cf-aig-metadata"] ?? ""));
    const run = runPathOf(String(meta.run_id ?? ""));
    const id = String(meta.step_id ?? "");
    const name = stepName({ run, id });
    const refuse = (mismatch: RequestMismatch) => {
      if (!mismatches.has(name)) mismatches.set(name, mismatch);
      sendJson(res, 400, openAIError(`replay: ${describeMismatch(mismatch)}`));
    };
    const step = recordedStep(recording.steps, run, id);
    const turns = step ? turnsOf(step) : [];
    // A turn is counted once answered: a refused request asked again (a group's next model) is the same turn.
    const turn = (turnsTaken.get(name) ?? 0) + 1;
    const recorded = turns[turn - 1];
    if (!step || !recorded) {
      refuse({ what: "calls", detail: `the recording has ${turns.length} LLM call(s) for this step; the replay asks for call ${turn}` });
      return;
    }
    if (step.unchecked) unchecked.add(name);
    const messages = Array.isArray(body.messages) ? body.messages.map((m) => fromOpenAIMessage(m)) : [];
    const tools = Array.isArray(body.tools) ? body.tools.map((t) => String((t as { function?: { name?: unknown } }).function?.name ?? "")) : [];
    const mismatch = checkRequest(recorded, step.model, { model: `${provider}/${String(body.model ?? "")}`, messages, tools }, scrub, turn);
    if (mismatch) {
      refuse(mismatch);
      return;
    }
    if (!recorded.reply) {
      refuse({ what: "calls", detail: `the recording kept no reply for call ${turn} (it failed, or the item's record was full)` });
      return;
    }
    turnsTaken.set(name, turn);
    sendJson(res, 200, openAIReply(String(body.model ?? ""), recorded.reply));
  }

  function mcp(body: Record<string, unknown>, res: ServerResponse): void {
    const { id, method } = body;
    const params = parseObject(JSON.stringify(body.params ?? {}));
    if (id === undefined) {
      res.writeHead(202).end(); // a notification
      return;
    }
    const reply = (result: unknown) => sendJson(res, 200, { jsonrpc: "2.0", id, result });
    if (method === "initialize") {
      reply({ protocolVersion: params.protocolVersion ?? "2025-03-26", capabilities: { tools: {} }, serverInfo: { name: "ktsu-replay", version: "1" } });
    } else if (method === "tools/list") {
      reply({
        tools: recordedToolNames(recording.steps).map((name) => ({ name, description: "answered from the recording", inputSchema: { type: "object" } })),
      });
    } else if (method === "tools/call") {
      const name = String(params.name ?? "");
      const args = parseObject(JSON.stringify(params.arguments ?? {}));
      const text = recordedToolResult(recording.steps, name, args);
      if (text === undefined) unanswered.push(`tool call ${name} ${JSON.stringify(args)}`);
      reply(
        text === undefined
          ? { content: [{ type: "text", text: `replay: the recording has no result for ${name}` }], isError: true }
          : { content: [{ type: "text", text }] },
      );
    } else if (method === "ping") {
      reply({});
    } else {
      sendJson(res, 200, { jsonrpc: "2.0", id, error: { code: -32601, message: `replay: ${String(method)} is not served` } });
    }
  }

  function webhook(stepId: string, req: IncomingMessage, res: ServerResponse): void {
    const key = String(req.headers["idempotency-key"] ?? "");
    const runId = key.endsWith(`/${stepId}`) ? key.slice(0, -(stepId.length + 1)) : "";
    // A webhook step the recording lacks (a new step, a hand-written case) is answered 200; a new step shows in the comparison.
    sendJson(res, findStep(runPathOf(runId), stepId)?.status_code ?? 200, {});
  }

  const server = createServer((req, res) => {
    const parts = (req.url ?? "/").split("?")[0]!.split("/").filter(Boolean).map(decodeURIComponent);
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    readBody(req)
      .then((text) => {
        const body = parseObject(text);
        if (parts[0] === "llm" && parts.length >= 3) llm(parts[1]!, req, body, res);
        else if (parts[0] === "mcp") mcp(body, res);
        else if (parts[0] === "webhook" && parts.length >= 2) webhook(parts.at(-1)!, req, res);
        else sendJson(res, 404, { error: "not a replay route" });
      })
      .catch((error: unknown) => sendJson(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    use(next) {
      recording = next;
      turnsTaken.clear();
      mismatches.clear();
      unanswered.length = 0;
      unchecked.clear();
    },
    mismatches,
    unanswered,
    unchecked,
    setSecrets(next) {
      scrub = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
