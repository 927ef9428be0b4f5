import type { OrchestratorEnv } from "../env.ts";
import type { RunDO } from "./run-do.ts";

/** The Durable Object of a run; its id is derived from the run id (sub-runs: `parent/step`). */
export function runStub(env: OrchestratorEnv, runId: string): DurableObjectStub<RunDO> {
  // The binding is declared without the class (env.ts would otherwise import this module's users); it is RunDO.
  const namespace = env.RUNS as unknown as DurableObjectNamespace<RunDO>;
  return namespace.get(namespace.idFromName(runId));
}
