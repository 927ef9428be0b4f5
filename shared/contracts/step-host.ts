// Which runtime host (a Durable Object of the runtime's STEP_HOSTS namespace) runs a step.
// The orchestrator and the runtime both name hosts with this, so the orchestrator can reach the
// host of a step it dispatched (to cancel it, or to delete what it keeps) without asking the runtime.

/** The fields of an invoke request that choose its host. */
export interface StepHostAddress {
  run_id: string;
  step_id: string;
  attempt?: number | undefined;
  host_key?: string | undefined;
}

/**
 * A shared host per host key within a run, or one host per step attempt: a new attempt gets a
 * fresh host, so nothing of a superseded attempt can be resumed by mistake.
 */
export function stepHostName(address: StepHostAddress): string {
  if (address.host_key !== undefined) return JSON.stringify([address.run_id, "host", address.host_key]);
  return JSON.stringify([address.run_id, address.step_id, address.attempt ?? 0]);
}

/**
 * How many of a fanout's concurrent items one host runs at once. A host reports the results that
 * are ready together in one call and takes as many next items with the answer, so the
 * orchestrator applies them with one commit.
 */
export const ITEMS_PER_HOST = 8;

/** How many hosts a fanout of `concurrency` uses: enough for ITEMS_PER_HOST items each. */
export function fanoutHostCount(concurrency: number): number {
  return Math.ceil(Math.max(1, concurrency) / ITEMS_PER_HOST);
}

/**
 * The host key of a fanout item: the items of a fanout step of `concurrency` share
 * `fanoutHostCount(concurrency)` hosts, item `index` running in host `index mod hosts`, so a
 * fanout of any width creates no more objects than that.
 */
export function fanoutHostKey(stepId: string, index: number, concurrency: number): string {
  return `${stepId}#${index % fanoutHostCount(concurrency)}`;
}

/** A fanout item's address as its dispatch sends it: step id `<step>.<index>`, its attempt, its shared host. */
export function fanoutItemAddress(runId: string, stepId: string, index: number, attempt: number, concurrency: number): StepHostAddress {
  return { run_id: runId, step_id: `${stepId}.${index}`, attempt, host_key: fanoutHostKey(stepId, index, concurrency) };
}
