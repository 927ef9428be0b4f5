// A local HTTP server speaking the real Anthropic Messages and OpenAI Chat
// Completions wire formats, for tests and offline runs. Test-only: Worker code
// must never import it (it needs node:http).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { anthropic } from "./anthropic.ts";
import { buildCompletion } from "./completion.ts";
import { openai } from "./openai.ts";
import type { ApiAdapter, FakeError, FakePlan, FakeReply, ParsedRequest, RecordedCall } from "./types.ts";
import { isPlainObject } from "../../shared/util/objects.ts";

export type { FakeApi, FakeError, FakePlan, FakeReply, FakeToolCall, FakeUsage, RecordedCall } from "./types.ts";
export { defaultReplyText, extractSchema, SCHEMA_MARKER } from "./default-responder.ts";

export interface FakeProviderOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Plans loaded at start (e.g. an example's fake-plan.json). */
  plans?: FakePlan[];
}

export interface FakeProvider {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:5099 */
  url: string;
  /** Queues replies, consumed in order by API requests; an empty queue uses the default responder. */
  script(...replies: FakeReply[]): void;
  /** Every request to an API endpoint, in arrival order (the array is live; reset() empties it). */
  readonly calls: RecordedCall[];
  /** Adds plans (see FakePlan); they answer when the queue is empty. */
  plan(...plans: FakePlan[]): void;
  /** Clears the queue, the plans and the recorded calls. */
  reset(): void;
  /** Stops listening and destroys open sockets, including hung requests. */
  close(): Promise<void>;
}

const ROUTES: Record<string, ApiAdapter> = {
  "/v1/messages": anthropic,
  "/messages": anthropic,
  "/v1/chat/completions": openai,
  "/chat/completions": openai,
};

/** Cloudflare AI Gateway's endpoints for the two APIs: `/v1/<account>/<gateway>/<provider>/…`. */
const AI_GATEWAY_ROUTES: Array<[RegExp, ApiAdapter]> = [
  [/^\/v1\/[^/]+\/[^/]+\/anthropic\/v1\/messages$/, anthropic],
  [/^\/v1\/[^/]+\/[^/]+\/[a-z0-9-]+\/chat\/completions$/, openai],
];

function routeOf(path: string): ApiAdapter | undefined {
  return ROUTES[path] ?? AI_GATEWAY_ROUTES.find(([pattern]) => pattern.test(path))?.[1];
}

export async function startFakeProvider(opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  const queue: FakeReply[] = [];
  const plans: FakePlan[] = [...(opts.plans ?? [])];
  const calls: RecordedCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;
  // Deterministic, unique per server: msg_fake000001, call_fake000002, ...
  const newId = (prefix: string) => `${prefix}fake${String(++counter).padStart(6, "0")}`;

  const reset = () => {
    queue.length = 0;
    plans.length = 0;
    calls.length = 0;
  };

  const planned = (request: ParsedRequest): FakeReply | undefined => {
    const plan = plans.find((p) => (p.in === "user" ? request.lastUserText : request.system).includes(p.match));
    return plan?.replies[Math.min(request.assistantTurns, plan.replies.length - 1)];
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  async function handleApi(adapter: ApiAdapter, req: IncomingMessage, res: ServerResponse, path: string) {
    const raw = await readBody(req);
    const headers = flattenHeaders(req);
    let body: unknown = raw;
    let validJson = true;
    try {
      body = JSON.parse(raw);
    } catch {
      validJson = false;
    }
    const call: RecordedCall = { api: adapter.api, path, headers, body };
    calls.push(call);
    // The client closed the connection before the reply was sent (e.g. an aborted call).
    res.on("close", () => {
      if (!res.writableFinished) call.aborted = true;
    });

    const fail = (status: number, error: FakeError, extra: Record<string, string> = {}) => sendJson(res, status, adapter.errorBody(status, error), extra);

    // Client mistakes are answered before the script is consulted, so they never consume a reply.
    const authError = adapter.checkAuth(headers);
    if (authError) return fail(401, { message: authError });
    if (!validJson) return fail(400, { message: "There was an error parsing the body: invalid JSON" });
    if (isPlainObject(body) && body.stream === true) {
      return fail(400, { message: "streaming not supported by the fake provider" });
    }
    const parsed = adapter.parse(body);
    if (typeof parsed === "string") return fail(400, { message: parsed });

    const reply = queue.shift() ?? planned(parsed) ?? {};
    if (reply.hang) return; // left open until the client goes away or close()
    if (reply.delay_ms) await sleep(reply.delay_ms);
    if (res.destroyed) return;

    const extra = reply.headers ?? {};
    if (reply.raw_body !== undefined) {
      return send(res, reply.status ?? 200, reply.raw_body, extra);
    }
    const status = reply.status ?? (reply.error ? 500 : 200);
    if (reply.error || status >= 400) {
      return fail(status, reply.error ?? { message: `fake provider scripted HTTP ${status}` }, extra);
    }
    const completion = buildCompletion(parsed, reply, () => newId(adapter.toolCallIdPrefix));
    sendJson(res, status, adapter.successBody(parsed, completion, newId), extra);
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string) {
    switch (`${req.method} ${path}`) {
      case "GET /health":
        return sendJson(res, 200, { status: "ok" });
      case "GET /__fake/calls":
        return sendJson(res, 200, { calls });
      case "POST /__fake/reset":
        await readBody(req);
        reset();
        return sendJson(res, 200, { ok: true });
      case "POST /__fake/script": {
        let replies: unknown;
        try {
          replies = (JSON.parse(await readBody(req)) as { replies?: unknown }).replies;
        } catch {
          replies = undefined;
        }
        if (!Array.isArray(replies) || !replies.every(isPlainObject)) {
          return sendJson(res, 400, { error: 'body must be {"replies": [FakeReply, ...]}' });
        }
        queue.push(...(replies as FakeReply[]));
        return sendJson(res, 200, { queued: queue.length });
      }
      case "POST /__fake/plan": {
        let added: unknown;
        try {
          added = (JSON.parse(await readBody(req)) as { plans?: unknown }).plans;
        } catch {
          added = undefined;
        }
        if (!Array.isArray(added) || !added.every((p) => isPlainObject(p) && typeof p.match === "string" && Array.isArray(p.replies) && p.replies.length > 0)) {
          return sendJson(res, 400, { error: 'body must be {"plans": [{"match": "...", "replies": [FakeReply, ...]}, ...]}' });
        }
        plans.push(...(added as FakePlan[]));
        return sendJson(res, 200, { plans: plans.length });
      }
      default:
        return sendJson(res, 404, { error: `no route for ${req.method} ${path}` });
    }
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const adapter = routeOf(path);
    const work = adapter && req.method === "POST" ? handleApi(adapter, req, res, path) : handleControl(req, res, path);
    work.catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: String(err) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === "IPv6" ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    calls,
    script: (...replies) => void queue.push(...replies),
    plan: (...added) => void plans.push(...added),
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        // Hung requests and idle keep-alive sockets would otherwise keep close() waiting forever.
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  send(res, status, JSON.stringify(body), headers);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>) {
  if (res.destroyed) return;
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  // Scripted headers go last so they can override the content type.
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(body);
}
