// Everything the runtime sends to the orchestrator over its binding: the step's result,
// per-turn checkpoints and heartbeats, as RPC calls on its RuntimeApi entrypoint. A callback
// URL that is not the orchestrator's own route for the step is posted to over HTTP.
import { sleep } from "../../../shared/util/durable-object-retries.ts";
import { discardSmallBody } from "../../../shared/util/discard-body.ts";
import type { CallbackPayload, CheckpointPayload, HeartbeatPayload, InvokeRequest } from "../../../shared/contracts/runtime.ts";
import type { OrchestratorRpc } from "../../../shared/contracts/service-rpc.ts";

/** The ORCHESTRATOR binding: HTTP routes and the RPC methods of the same entrypoint. */
export type OrchestratorBinding = Fetcher & OrchestratorRpc;

const ORIGIN = "https://orchestrator";
/** Transient failures (transport, 5xx) of the result are retried; the orchestrator drops stale attempts. */
const CALLBACK_ATTEMPTS = 3;

/** `callback_url` is a path; a full URL (the original's form) is reduced to its path. */
export function bindingUrl(pathOrUrl: string): string {
  if (/^https?:\/\//i.test(pathOrUrl)) {
    const url = new URL(pathOrUrl);
    return `${ORIGIN}${url.pathname}${url.search}`;
  }
  return `${ORIGIN}${pathOrUrl.startsWith("/") ? "" : "/"}${pathOrUrl}`;
}

const COMPLETE_ROUTE = /^\/runs\/([^/]+)\/steps\/([^/]+)\/complete$/;

/** The run and step a callback URL names when it is the orchestrator's route for a step result. */
export function callbackTarget(pathOrUrl: string): { runId: string; stepId: string } | null {
  const match = COMPLETE_ROUTE.exec(new URL(bindingUrl(pathOrUrl)).pathname);
  if (!match) return null;
  try {
    return { runId: decodeURIComponent(match[1]!), stepId: decodeURIComponent(match[2]!) };
  } catch {
    return null;
  }
}

/** A fanout item the orchestrator handed to this host: to run now, or once `after_step` here has its result. */
export interface HandedItem {
  request: InvokeRequest;
  after_step?: string;
}

/** A delivered result, with the fanout items the orchestrator handed to this host to run next. */
export interface Delivered {
  next: HandedItem[];
}

/** The answer's status and handed items; a thrown RPC call is the route's 500 (retried). */
async function deliver(
  orchestrator: OrchestratorBinding,
  callbackUrl: string,
  payload: CallbackPayload,
  takeNext: boolean,
): Promise<{ status: number; next: HandedItem[] }> {
  const target = callbackTarget(callbackUrl);
  if (target) {
    try {
      const { next } = await orchestrator.complete(target.runId, target.stepId, payload, { take_next: takeNext });
      return { status: 200, next: next.map((request) => ({ request })) };
    } catch (err) {
      // A value nested too deep for the structured clone (its serializer recurses) goes as JSON to
      // the route, which fails the step naming the limit; any other failure is retried.
      if (!(err instanceof RangeError)) throw err;
    }
  }
  const res = await post(orchestrator, bindingUrl(callbackUrl), payload);
  await discardSmallBody(res);
  return { status: res.status, next: [] };
}

function post(orchestrator: Fetcher, url: string, body: unknown): Promise<Response> {
  return orchestrator.fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/**
 * Delivered when the orchestrator answered (any status below 500); null sends it again later.
 * `takeNext`: the host can run a next fanout item, which the answer may then carry.
 */
export async function postCallback(
  orchestrator: OrchestratorBinding,
  callbackUrl: string,
  payload: CallbackPayload,
  takeNext = false,
): Promise<Delivered | null> {
  for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS; attempt++) {
    try {
      const { status, next } = await deliver(orchestrator, callbackUrl, payload, takeNext);
      if (status < 500) {
        if (status >= 300) console.warn(`runtime: callback for ${payload.run_id}/${payload.step_id} answered ${status}`);
        return { next };
      }
      console.warn(`runtime: callback for ${payload.run_id}/${payload.step_id} answered ${status} (try ${attempt})`);
    } catch (err) {
      console.warn(`runtime: callback for ${payload.run_id}/${payload.step_id} failed (try ${attempt}): ${String(err)}`);
    }
    if (attempt < CALLBACK_ATTEMPTS) await sleep(250 * attempt);
  }
  return null;
}

/** `stale`: the orchestrator no longer runs this attempt (409); anything else is stored or logged. */
export type CheckpointAnswer = "stored" | "stale" | "lost";

/** Best effort: a lost checkpoint only means a re-dispatch resumes from an older one. */
export async function postCheckpoint(orchestrator: OrchestratorBinding, runId: string, stepId: string, payload: CheckpointPayload): Promise<CheckpointAnswer> {
  try {
    const { current } = await orchestrator.checkpoint(runId, stepId, payload);
    return current ? "stored" : "stale";
  } catch (err) {
    console.warn(`runtime: checkpoint for ${runId}/${stepId} turn ${payload.turn} failed: ${String(err)}`);
  }
  return "lost";
}

/** Best effort, like the original: send errors are logged and ignored. */
export async function postHeartbeat(orchestrator: OrchestratorBinding, payload: HeartbeatPayload): Promise<void> {
  try {
    await orchestrator.heartbeat(payload);
  } catch (err) {
    console.warn(`runtime: heartbeat failed: ${String(err)}`);
  }
}
