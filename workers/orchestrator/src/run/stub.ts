import type { OrchestratorEnv } from "../env.ts";
import type { RunDO } from "./run-do.ts";
import { withStubFaults } from "../../../../shared/util/test-faults.ts";

/**
 * The Durable Object of a run; its id is derived from the run id (sub-runs: `parent/step`).
 * A call on it that may be retried goes through `retryDurableObjectCall`
 * (shared/util/durable-object-retries.ts), with a new stub per try.
 */
export function runStub(env: OrchestratorEnv, runId: string): DurableObjectStub<RunDO> {
  // env.ts declares the binding without naming RunDO (run-do.ts imports env.ts, so naming it there is an import cycle).
  const namespace = env.RUNS as unknown as DurableObjectNamespace<RunDO>;
  return withStubFaults(namespace.get(namespace.idFromName(runId)), runId, env.KTSU_TEST_FAULTS);
}
