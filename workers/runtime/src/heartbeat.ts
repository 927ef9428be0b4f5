// Liveness while a step runs: the runtime POSTs the orchestrator's /heartbeat naming the
// steps it is still working on. Each invocation beats for its own step from its
// own waitUntil: a timer shared across requests could be cancelled with the request that
// started it. The first beat goes out at once, then one per interval.
import type { HeartbeatPayload } from "../../../shared/contracts/runtime.ts";
import { postHeartbeat } from "./orchestrator-client.ts";

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;

export function heartbeatInterval(configured: string | undefined): number {
  const ms = Number(configured);
  return Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_HEARTBEAT_INTERVAL_MS;
}

let isolateRuntimeId: string | undefined;

/** `KTSU_RUNTIME_ID`, else one id per isolate (random values are not allowed at global scope). */
export function runtimeId(configured: string | undefined): string {
  if (configured) return configured;
  isolateRuntimeId ??= `rt-${crypto.randomUUID().slice(0, 8)}`;
  return isolateRuntimeId;
}

export interface Heartbeat {
  /** Stops beating; resolves once no beat is in flight, so the step is gone from `active` before its callback. */
  stop(): Promise<void>;
}

export function startHeartbeat(orchestrator: Fetcher, payload: HeartbeatPayload, intervalMs: number): Heartbeat {
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pause = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, intervalMs);
    });
  const loop = (async () => {
    while (!stopped) {
      await postHeartbeat(orchestrator, payload);
      if (!stopped) await pause();
    }
  })();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
