// HTTP client for the orchestrator's public API (workers/orchestrator/src/api/routes.ts, docs/api.md).

import type { ItemPage } from "../../../shared/contracts/item-page.ts";
import { decodeRunEvent } from "../../../shared/contracts/run-event-message.ts";
import { type RunListFilter, runListPath } from "../../../shared/contracts/run-list.ts";
import type { ApprovalRecord, Envelope, RunEvent, RunRecord, StepRecord } from "../../../shared/contracts/records.ts";
import { followSse, type ReconnectInfo, SseHttpError } from "../../../shared/sse/follow.ts";
import { errorMessage } from "../../../shared/util/errors.ts";
import { isPlainObject } from "../../../shared/util/objects.ts";

export type { Envelope, EnvelopeStep } from "../../../shared/contracts/records.ts";

export const DEFAULT_ORCHESTRATOR_URL = "http://localhost:5050";

/** `--orchestrator`, else a non-empty `KTSU_ORCHESTRATOR_URL`, else http://localhost:5050 (no trailing slash). */
export function orchestratorUrl(flag: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const chosen = flag || env.KTSU_ORCHESTRATOR_URL || DEFAULT_ORCHESTRATOR_URL;
  return chosen.replace(/\/+$/, "");
}

/** The orchestrator answered with an error status. `message` is its `message` (or `error`, or text) field. */
export class ApiError extends Error {
  readonly status: number;
  /** The machine-readable `error` field, when the body had one. */
  readonly code: string | undefined;
  /** False when the body carried no usable message. */
  readonly hasMessage: boolean;
  constructor(status: number, message: string | undefined, code: string | undefined) {
    super(message ?? `orchestrator returned status ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.hasMessage = message !== undefined;
  }
}

/** The orchestrator could not be reached at all (connection refused, DNS, TLS, …). */
export class UnreachableError extends Error {
  readonly url: string;
  constructor(url: string, cause: unknown) {
    const detail = cause instanceof Error ? (causeCode(cause) ?? cause.message) : String(cause);
    super(`cannot reach the orchestrator at ${url} (${detail})`, { cause });
    this.name = "UnreachableError";
    this.url = url;
  }
}

function causeCode(error: Error): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  if (cause && typeof cause === "object") {
    const code = (cause as { code?: unknown }).code;
    const message = (cause as { message?: unknown }).message;
    if (typeof code === "string") return typeof message === "string" && message ? message : code;
    if (typeof message === "string" && message) return message;
  }
  return undefined;
}

/**
 * The text an error line shows: `<command>: <message> (status N)`, or the
 * original's `<command>: orchestrator returned status N` when the body said
 * nothing, or `<command>: cannot reach …`.
 */
export function errorLine(command: string, error: unknown): string {
  if (error instanceof ApiError) return error.hasMessage ? `${command}: ${error.message} (status ${error.status})` : `${command}: ${error.message}`;
  if (error instanceof SseHttpError) {
    const parsed = messageFromBody(error.body);
    return parsed.message ? `${command}: ${parsed.message} (status ${error.status})` : `${command}: orchestrator returned status ${error.status}`;
  }
  return `${command}: ${errorMessage(error)}`;
}

function messageFromBody(text: string): { message: string | undefined; code: string | undefined } {
  const trimmed = text.trim();
  if (trimmed === "") return { message: undefined, code: undefined };
  try {
    const body = JSON.parse(trimmed) as unknown;
    if (isPlainObject(body)) {
      const { message, error } = body;
      const code = typeof error === "string" && error ? error : undefined;
      if (typeof message === "string" && message) return { message, code };
      return { message: code, code };
    }
  } catch {
    // plain text (the original answered errors as text/plain)
  }
  return { message: trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed, code: undefined };
}

export interface InvokeResponse {
  run_id: string;
  status: string;
}

export interface EnqueueResponse {
  run_id: string;
  status: string;
  idempotency_key: string;
}

export interface RunDetail {
  run: RunRecord;
  steps: (StepRecord & { pending_approval?: ApprovalRecord | null })[] | null;
}

export type Decision = "approved" | "rejected";

export interface FollowRunOptions {
  /** Resume after this event sequence number. */
  after?: number;
  signal?: AbortSignal;
  onReconnect?: (info: ReconnectInfo) => void;
  maxRetries?: number;
  retryMs?: number;
  idleTimeoutMs?: number;
}

/** Run events after which the stream ends (the orchestrator closes it there too). */
export const FINAL_EVENTS: ReadonlySet<string> = new Set(["run_completed", "run_failed", "run_cancelled"]);

const seg = (id: string) => encodeURIComponent(id);

export interface ClientOptions {
  fetch?: typeof fetch;
  /**
   * The orchestrator's `KTSU_ADMIN_TOKEN`: sent as `Authorization: Bearer …` on
   * every route but `POST /invoke` (which has the workflow's own `invoke.auth`).
   */
  adminToken?: string;
}

/** `--token`'s help: the admin token the commands that read runs or decide approvals send. */
export const TOKEN_HELP = "the orchestrator's admin token, sent as Authorization: Bearer (env: KTSU_ADMIN_TOKEN)";

/** A client for `--orchestrator` (or the environment), with the admin token from `--token`, else `KTSU_ADMIN_TOKEN`. */
export function clientFor(flag: string | undefined, env: Record<string, string | undefined> = process.env, token?: string): OrchestratorClient {
  const adminToken = token || env.KTSU_ADMIN_TOKEN;
  return new OrchestratorClient(orchestratorUrl(flag, env), adminToken ? { adminToken } : {});
}

export class OrchestratorClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly auth: Record<string, string>;

  constructor(baseUrl: string, options: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? fetch;
    this.auth = options.adminToken ? { authorization: `Bearer ${options.adminToken}` } : {};
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  private async request(method: string, path: string, body?: string, extraHeaders: Record<string, string> = this.auth): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path), {
        method,
        headers: { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}), ...extraHeaders },
        ...(body !== undefined ? { body } : {}),
      });
    } catch (error) {
      throw new UnreachableError(this.baseUrl, error);
    }
    if (res.status >= 400) {
      const { message, code } = messageFromBody(await res.text().catch(() => ""));
      throw new ApiError(res.status, message, code);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<T> {
    const res = await this.request(method, path, body, headers);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`the orchestrator answered ${method} ${path} with something that is not JSON (status ${res.status})`, { cause: error });
    }
  }

  /** `POST /invoke/:workflow` with the body as given (already checked to be a JSON object), plus e.g. an `invoke.auth` header. */
  async invoke(workflow: string, body: string, headers: Record<string, string> = {}): Promise<InvokeResponse> {
    const result = await this.json<Partial<InvokeResponse>>("POST", `/invoke/${seg(workflow)}`, body, headers);
    if (typeof result.run_id !== "string" || result.run_id === "") throw new Error("orchestrator did not return a run_id");
    return { run_id: result.run_id, status: result.status ?? "" };
  }

  /** `POST /enqueue/:workflow`: the same checks as invoke, then a message on the run queue; the key names the run. */
  async enqueue(workflow: string, body: string, headers: Record<string, string> = {}): Promise<EnqueueResponse> {
    const result = await this.json<Partial<EnqueueResponse>>("POST", `/enqueue/${seg(workflow)}`, body, headers);
    if (typeof result.run_id !== "string" || result.run_id === "") throw new Error("orchestrator did not return a run_id");
    return { run_id: result.run_id, status: result.status ?? "", idempotency_key: result.idempotency_key ?? "" };
  }

  async listRuns(filter: RunListFilter = {}): Promise<RunRecord[]> {
    const result = await this.json<{ runs?: RunRecord[] | null }>("GET", runListPath(filter));
    return result.runs ?? [];
  }

  getRun(runId: string): Promise<RunDetail> {
    return this.json<RunDetail>("GET", `/runs/${seg(runId)}`);
  }

  /** One page of a fanout step's items (`calls`: with their LLM and tool call records); `cursor` from the previous page. */
  itemPage(runId: string, stepId: string, cursor: string | null, options: { calls?: boolean; limit?: number } = {}): Promise<ItemPage> {
    const query = new URLSearchParams();
    if (cursor !== null) query.set("cursor", cursor);
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    if (options.calls) query.set("calls", "true");
    const search = query.size > 0 ? `?${query}` : "";
    return this.json<ItemPage>("GET", `/runs/${seg(runId)}/steps/${seg(stepId)}/items${search}`);
  }

  envelope(runId: string): Promise<Envelope> {
    return this.json<Envelope>("GET", `/runs/${seg(runId)}/envelope`);
  }

  async pendingApprovals(): Promise<ApprovalRecord[]> {
    return (await this.json<ApprovalRecord[] | null>("GET", "/approvals")) ?? [];
  }

  approval(runId: string, stepId: string): Promise<ApprovalRecord> {
    return this.json<ApprovalRecord>("GET", `/runs/${seg(runId)}/steps/${seg(stepId)}/approval`);
  }

  /** `POST /runs/:id/cancel`: 409 when the run has ended (or was cancelled already), 404 when unknown. */
  async cancel(runId: string): Promise<void> {
    const res = await this.request("POST", `/runs/${seg(runId)}/cancel`);
    await res.body?.cancel().catch(() => {});
  }

  async decide(runId: string, stepId: string, decision: Decision): Promise<void> {
    const res = await this.request("POST", `/runs/${seg(runId)}/steps/${seg(stepId)}/approval/decide`, JSON.stringify({ decision }));
    await res.body?.cancel().catch(() => {});
  }

  /**
   * The run's events, live (`GET /runs/:id/events`), each exactly once, in
   * order, resuming with `Last-Event-ID` after a dropped connection; ends after
   * `run_completed`, `run_failed` or `run_cancelled`.
   */
  async *events(runId: string, options: FollowRunOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const url = this.url(`/runs/${seg(runId)}/events`);
    const stream = followSse({
      url,
      fetch: async (input, init) => {
        try {
          return await this.fetchImpl(input, init);
        } catch (error) {
          if (init.signal?.aborted) throw error;
          throw new UnreachableError(this.baseUrl, error);
        }
      },
      headers: this.auth,
      ...(options.after !== undefined ? { lastEventId: String(options.after) } : {}),
      isLast: (message) => FINAL_EVENTS.has(message.event),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onReconnect ? { onReconnect: options.onReconnect } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    });
    for await (const message of stream) {
      const event = decodeRunEvent(message);
      if (event) yield event;
    }
  }
}
