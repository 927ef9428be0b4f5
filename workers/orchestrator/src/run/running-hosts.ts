// The runtime hosts of a run's work in flight: its running agent steps and fanout items, each
// addressed as its dispatch addressed it, for the runtime's `/cancel` (stop-hosts.ts).

import type { CompiledAgentStep } from "../../../../shared/bundle.ts";
import { fanoutItemAddress, type StepHostAddress } from "../../../../shared/contracts/step-host.ts";
import type { RunState } from "./run-state.ts";

/**
 * The hosts of what runs now, addressed as its dispatch addressed them: a pipeline agent step by
 * its attempt, a fanout item as `<step>.<index>` by the item's attempt and its host key (its slot's, or
 * the host it was handed to, run/handoff.ts). A fanout's
 * running items count whatever the step's status: a fanout that failed on one item still has the
 * others in flight.
 */
export function runningHosts(state: RunState): StepHostAddress[] {
  const runId = state.run.run_id;
  const hosts: StepHostAddress[] = [];
  for (const step of state.workflow.pipeline) {
    if (step.type !== "agent") continue;
    if (step.for_each) hosts.push(...runningItemHosts(state, step));
    else if (state.stepState(step.id).status === "running") hosts.push({ run_id: runId, step_id: step.id, attempt: state.stepState(step.id).attempt });
  }
  return hosts;
}

function runningItemHosts(state: RunState, step: CompiledAgentStep): StepHostAddress[] {
  const runId = state.run.run_id;
  const hosts: StepHostAddress[] = [];
  const fanout = state.stepState(step.id).fanout;
  const concurrency = fanout?.concurrency ?? 1;
  for (let i = 0; i < (fanout?.total ?? 0); i++) {
    const item = state.item(step.id, i);
    if (item?.status !== "running") continue;
    const address = fanoutItemAddress(runId, step.id, i, item.attempt, concurrency);
    hosts.push(item.host_key ? { ...address, host_key: item.host_key } : address);
  }
  return hosts;
}
