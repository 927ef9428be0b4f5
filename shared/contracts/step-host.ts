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
