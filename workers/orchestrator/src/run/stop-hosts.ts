// Stopping the runtime hosts of a run's running agent steps and fanout items when the run is
// cancelled: the runtime aborts each host's LLM or tool call in flight and starts no other.
// A host this misses still stops: after the run ended its next checkpoint is answered as stale.

import type { CompiledAgentStep } from "../../../../shared/bundle.ts";
import { type CancelStepsRequest, MAX_CANCEL_HOSTS } from "../../../../shared/contracts/step-cancel.ts";
import { fanoutItemAddress, type StepHostAddress } from "../../../../shared/contracts/step-host.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";
import type { RunState } from "./run-state.ts";

/**
 * The hosts of what runs now, addressed as its dispatch addressed them: a pipeline agent step by
 * its attempt, a fanout item as `<step>.<index>` by the item's attempt and its host key.
 */
export function runningHosts(state: RunState): StepHostAddress[] {
  const runId = state.run.run_id;
  const hosts: StepHostAddress[] = [];
  for (const step of state.workflow.pipeline) {
    if (step.type !== "agent" || state.stepState(step.id).status !== "running") continue;
    if (!step.for_each) hosts.push({ run_id: runId, step_id: step.id, attempt: state.stepState(step.id).attempt });
    else hosts.push(...runningItemHosts(state, step));
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
    if (item?.status === "running") hosts.push(fanoutItemAddress(runId, step.id, i, item.attempt, concurrency));
  }
  return hosts;
}

/** Tells the runtime to stop the hosts; best effort (logged): a missed host stops at its next checkpoint. */
export async function stopHosts(runtime: Fetcher, runId: string, hosts: StepHostAddress[]): Promise<void> {
  const batches: CancelStepsRequest[] = [];
  for (let i = 0; i < hosts.length; i += MAX_CANCEL_HOSTS) batches.push({ hosts: hosts.slice(i, i + MAX_CANCEL_HOSTS) });
  await Promise.all(
    batches.map(async (body) => {
      try {
        const res = await runtime.fetch("https://runtime/cancel", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        await res.body?.cancel();
        if (res.status !== 200) console.error(`run ${runId}: the runtime answered ${res.status} to a cancel of ${body.hosts.length} step(s)`);
      } catch (err) {
        console.error(`run ${runId}: cancelling ${body.hosts.length} step(s) on the runtime failed: ${errorMessage(err)}`);
      }
    }),
  );
}
