// The heartbeat settings `ktsu start` and `ktsu deploy` pass from the environment:
// KTSU_HEARTBEAT_INTERVAL_MS to the runtime, KTSU_HEARTBEAT_TIMEOUT_MS to the
// orchestrator. Unset ones are not passed, so the Workers keep their defaults.
// They are checked as a pair: the runtime must beat well inside the timeout, or
// every agent step fails for want of a heartbeat that was never late.

import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS } from "../../../shared/contracts/heartbeat.ts";

type Source = Record<string, string | undefined>;

export const HEARTBEAT_INTERVAL = "KTSU_HEARTBEAT_INTERVAL_MS";
export const HEARTBEAT_TIMEOUT = "KTSU_HEARTBEAT_TIMEOUT_MS";

/** Fewer beats than this per timeout and one late beat (a slow isolate, a retried POST) fails the step. */
const BEATS_PER_TIMEOUT = 3;

/** A heartbeat setting that cannot work; the message names the variable and the value. */
export class HeartbeatSettingError extends Error {}

export interface HeartbeatVars {
  orchestrator: Record<string, string>;
  runtime: Record<string, string>;
  /** The values in effect (set or default), for printing. */
  intervalMs: number;
  timeoutMs: number;
  /** Settings that work but leave little margin. */
  warnings: string[];
}

function milliseconds(source: Source, name: string): number | undefined {
  const text = source[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value <= 0 || !Number.isSafeInteger(value)) {
    throw new HeartbeatSettingError(`${name} must be a positive whole number of milliseconds, got "${text}"`);
  }
  return value;
}

/** The heartbeat vars for each Worker from `source` (the environment, over an env file's variables). */
export function heartbeatVars(source: Source): HeartbeatVars {
  const interval = milliseconds(source, HEARTBEAT_INTERVAL);
  const timeout = milliseconds(source, HEARTBEAT_TIMEOUT);
  const intervalMs = interval ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const timeoutMs = timeout ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const pair = `${HEARTBEAT_INTERVAL} (${intervalMs}${interval === undefined ? ", the default" : ""}) and ${HEARTBEAT_TIMEOUT} (${timeoutMs}${timeout === undefined ? ", the default" : ""})`;
  if (intervalMs >= timeoutMs) {
    throw new HeartbeatSettingError(`${pair}: the interval must be below the timeout, or every agent step times out between two heartbeats`);
  }
  const warnings: string[] = [];
  if (intervalMs * BEATS_PER_TIMEOUT > timeoutMs) {
    warnings.push(
      `${pair}: fewer than ${BEATS_PER_TIMEOUT} heartbeats fit in the timeout, so one late heartbeat can fail a step; keep the interval at most a third of the timeout`,
    );
  }
  return {
    orchestrator: timeout === undefined ? {} : { [HEARTBEAT_TIMEOUT]: String(timeout) },
    runtime: interval === undefined ? {} : { [HEARTBEAT_INTERVAL]: String(interval) },
    intervalMs,
    timeoutMs,
    warnings,
  };
}
