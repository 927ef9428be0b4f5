import type { OrchestratorEnv } from "../env.ts";
import type { RunDO } from "./run-do.ts";

/** The Durable Object of a run; its id is derived from the run id (sub-runs: `parent/step`). */
export function runStub(env: OrchestratorEnv, runId: string): DurableObjectStub<RunDO> {
  const namespace = env.RUNS as DurableObjectNamespace<RunDO>;
  return namespace.get(namespace.idFromName(runId));
}
