// Stopping the runtime hosts of a run's running agent steps and fanout items when the run is
// cancelled or fails: the runtime aborts each host's LLM or tool call in flight and starts no other.
// A host this misses still stops: after the run ended its next checkpoint is answered as stale.

import { type CancelStepsRequest, MAX_CANCEL_HOSTS } from "../../../../shared/contracts/step-cancel.ts";
import type { StepHostAddress } from "../../../../shared/contracts/step-host.ts";
import { errorMessage } from "../../../../shared/util/errors.ts";

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
