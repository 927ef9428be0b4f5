// Liveness while a step runs: the step's host POSTs the orchestrator's /heartbeat naming
// its step, from its alarm, once per interval (host/step-host.ts).

import { DEFAULT_HEARTBEAT_INTERVAL_MS } from "../../../shared/contracts/heartbeat.ts";

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
