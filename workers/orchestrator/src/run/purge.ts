// Retention's deletion of one run's Durable Object state: the step hosts its agent steps and
// fanout items were dispatched to (erased through the runtime), its sub-runs' objects (each
// purges its own hosts and sub-runs), then its own storage and alarm. A run with many hosts
// takes several calls: each call does a bounded share and remembers where it stopped.

import { MAX_HOSTS_PER_PURGE, PURGE_HOSTS_PATH, type PurgeHostsRequest } from "../../../../shared/contracts/retention.ts";
import { fanoutItemAddress, stepHostName } from "../../../../shared/contracts/step-host.ts";
import type { RunState } from "./run-state.ts";
import { subRunId } from "./steps/sub-workflow.ts";

/** kept: the run has not ended (nothing deleted); more: call again; done: nothing of the run is left here. */
export type PurgeOutcome = "kept" | "more" | "done";

/** Runtime requests per purge call: with the sub-run calls, a call's subrequests stay well inside a Free plan's 50. */
const HOST_REQUESTS_PER_CALL = 10;

/** How much one call erases: host names per runtime request, runtime requests per call. */
export interface PurgeLimits {
  hostsPerRequest: number;
  requestsPerCall: number;
}

const DEFAULT_LIMITS: PurgeLimits = { hostsPerRequest: MAX_HOSTS_PER_PURGE, requestsPerCall: HOST_REQUESTS_PER_CALL };

/** Where a purge that needed more than one call stopped: the number of host names already erased. */
const HOSTS_DONE_KEY = "purge:hosts_done";

export interface PurgeDeps {
  storage: Pick<DurableObjectStorage, "get" | "put" | "deleteAll" | "deleteAlarm">;
  runtime: Fetcher;
  /** A sub-run's purge (always forced: its root has ended). */
  purgeChild(runId: string): Promise<PurgeOutcome>;
}

/**
 * Every host this run dispatched a step attempt to, named as the dispatch named it: an agent
 * step's attempts each had a host of their own; a fanout's items ran in the host of their host
 * key (fanout.ts), whichever attempt it was.
 */
export function dispatchedHostNames(state: RunState): string[] {
  const runId = state.run.run_id;
  const names = new Set<string>();
  for (const step of state.stepStates().values()) {
    if (step.type !== "agent") continue;
    const fanout = step.fanout;
    if (!fanout) {
      for (let attempt = 1; attempt <= step.attempt; attempt++) names.add(stepHostName({ run_id: runId, step_id: step.id, attempt }));
      continue;
    }
    for (let index = 0; index < fanout.total; index++) {
      const attempt = state.item(step.id, index)?.attempt ?? 0;
      if (attempt === 0) continue; // never dispatched
      names.add(stepHostName(fanoutItemAddress(runId, step.id, index, attempt, fanout.concurrency)));
    }
  }
  return [...names];
}

/** The sub-runs this run started (one per workflow step that started). */
export function startedSubRuns(state: RunState): string[] {
  return [...state.stepStates().values()].filter((s) => s.type === "workflow" && s.seq >= 0).map((s) => subRunId(state.run.run_id, s.id));
}

/**
 * Deletes what this run's object and the objects it reached hold. `force` (sub-runs) deletes
 * whatever the status; a root that has not ended is kept. Safe to repeat after any failure:
 * hosts and sub-runs are erased before this object's own state, which names them.
 */
export async function purgeRun(state: RunState, deps: PurgeDeps, options: { force: boolean; limits?: PurgeLimits }): Promise<PurgeOutcome> {
  if (state.exists) {
    if (!options.force && !state.ended()) return "kept";
    for (const child of startedSubRuns(state)) {
      if ((await deps.purgeChild(child)) !== "done") return "more";
    }
    if (!(await purgeHosts(state, deps, options.limits ?? DEFAULT_LIMITS))) return "more";
  }
  await deps.storage.deleteAlarm();
  await deps.storage.deleteAll();
  return "done";
}

/** Erases the next share of the run's hosts; true once all are. */
async function purgeHosts(state: RunState, deps: PurgeDeps, limits: PurgeLimits): Promise<boolean> {
  const names = dispatchedHostNames(state);
  let done = (await deps.storage.get<number>(HOSTS_DONE_KEY)) ?? 0;
  for (let request = 0; request < limits.requestsPerCall && done < names.length; request++) {
    const hosts = names.slice(done, done + limits.hostsPerRequest);
    const body: PurgeHostsRequest = { hosts };
    const res = await deps.runtime.fetch(`https://runtime${PURGE_HOSTS_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`runtime answered ${res.status} to the purge of ${hosts.length} step host(s)`);
    done += hosts.length;
    await deps.storage.put(HOSTS_DONE_KEY, done);
  }
  return done >= names.length;
}
