// The orchestrator's `POST /cancel` to the runtime (service binding only): the hosts of the
// steps a cancelled run still had running. Each address names its host the way the dispatch
// did (shared/contracts/step-host.ts), so the runtime reaches the very object that runs the step.
import { z } from "zod";

export const StepHostAddressSchema = z.object({
  run_id: z.string().min(1),
  step_id: z.string().min(1),
  attempt: z.number().int().nonnegative().optional(),
  host_key: z.string().min(1).optional(),
});

/** At most this many hosts per request: a larger cancel is sent in several requests. */
export const MAX_CANCEL_HOSTS = 100;

export const CancelStepsRequestSchema = z.object({ hosts: z.array(StepHostAddressSchema).max(MAX_CANCEL_HOSTS) });

export type CancelStepsRequest = z.infer<typeof CancelStepsRequestSchema>;
