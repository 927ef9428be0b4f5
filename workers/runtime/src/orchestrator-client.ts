// Everything the runtime sends to the orchestrator over its binding: the step's result,
// per-turn checkpoints and heartbeats. Paths are relative to the binding.
import { discardSmallBody } from "../../../shared/util/discard-body.ts";
import { checkpointPath, type CallbackPayload, type CheckpointPayload, type HeartbeatPayload } from "../../../shared/contracts/runtime.ts";

const ORIGIN = "https://orchestrator";
/** Transient failures (transport, 5xx) of the result are retried; the orchestrator drops stale attempts. */
const CALLBACK_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `callback_url` is a path; a full URL (the original's form) is reduced to its path. */
export function bindingUrl(pathOrUrl: string): string {
  if (/^https?:\/\//i.test(pathOrUrl)) {
    const url = new URL(pathOrUrl);
    return `${ORIGIN}${url.pathname}${url.search}`;
  }
  return `${ORIGIN}${pathOrUrl.startsWith("/") ? "" : "/"}${pathOrUrl}`;
}

function post(orchestrator: Fetcher, url: string, body: unknown): Promise<Response> {
  return orchestrator.fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Whether the orchestrator answered (any status below 500): false sends it again later. */
export async function postCallback(orchestrator: Fetcher, callbackUrl: string, payload: CallbackPayload): Promise<boolean> {
  const url = bindingUrl(callbackUrl);
  for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS; attempt++) {
    try {
      const res = await post(orchestrator, url, payload);
      await discardSmallBody(res);
      if (res.status < 500) {
        if (!res.ok) console.warn(`runtime: callback for ${payload.run_id}/${payload.step_id} answered ${res.status}`);
        return true;
      }
      console.warn(`runtime: callback for ${payload.run_id}/${payload.step_id} answered ${res.status} (try ${attempt})`);
    } catch (err) {
      console.warn(`runtime: callback for ${payload.run_id}/${payload.step_id} failed (try ${attempt}): ${String(err)}`);
    }
    if (attempt < CALLBACK_ATTEMPTS) await sleep(250 * attempt);
  }
  return false;
}

/** `stale`: the orchestrator no longer runs this attempt (409); anything else is stored or logged. */
export type CheckpointAnswer = "stored" | "stale" | "lost";

/** Best effort: a lost checkpoint only means a re-dispatch resumes from an older one. */
export async function postCheckpoint(orchestrator: Fetcher, runId: string, stepId: string, payload: CheckpointPayload): Promise<CheckpointAnswer> {
  try {
    const res = await post(orchestrator, `${ORIGIN}${checkpointPath(runId, stepId)}`, payload);
    await discardSmallBody(res);
    if (res.status === 409) return "stale";
    if (res.ok) return "stored";
    console.warn(`runtime: checkpoint for ${runId}/${stepId} turn ${payload.turn} answered ${res.status}`);
  } catch (err) {
    console.warn(`runtime: checkpoint for ${runId}/${stepId} turn ${payload.turn} failed: ${String(err)}`);
  }
  return "lost";
}

/** Best effort, like the original: send errors are logged and ignored. */
export async function postHeartbeat(orchestrator: Fetcher, payload: HeartbeatPayload): Promise<void> {
  try {
    const res = await post(orchestrator, `${ORIGIN}/heartbeat`, payload);
    await discardSmallBody(res);
  } catch (err) {
    console.warn(`runtime: heartbeat failed: ${String(err)}`);
  }
}
