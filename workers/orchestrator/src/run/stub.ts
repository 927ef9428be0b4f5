import type { OrchestratorEnv } from "../env.ts";
import type { RunDO } from "./run-do.ts";

/** The Durable Object of a run; its id is derived from the run id (sub-runs: `parent/step`). */
export function runStub(env: OrchestratorEnv, runId: string): DurableObjectStub<RunDO> {
  // env.ts declares the binding without naming RunDO (run-do.ts imports env.ts, so naming it there is an import cycle).
  const namespace = env.RUNS as unknown as DurableObjectNamespace<RunDO>;
  return namespace.get(namespace.idFromName(runId));
}
