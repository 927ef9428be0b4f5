import type { StepHost } from "./host/step-host.ts";
import type { OrchestratorBinding } from "./orchestrator-client.ts";

/** Bindings and vars of the runtime Worker (see workers/runtime/wrangler.toml). */
export interface RuntimeEnv {
  GATEWAY: Fetcher;
  TOOLS: Fetcher;
  /** The orchestrator's RuntimeApi entrypoint: step results, checkpoints and heartbeats as RPC calls. */
  ORCHESTRATOR: OrchestratorBinding;
  /** One Durable Object per step attempt, which runs that step's loop. */
  STEP_HOSTS: DurableObjectNamespace<StepHost>;
  /** Milliseconds between heartbeats while a step runs (default 5000). */
  KTSU_HEARTBEAT_INTERVAL_MS?: string;
  /** Identifies this runtime in heartbeats (default: `rt-` plus a random suffix per isolate). */
  KTSU_RUNTIME_ID?: string;
  /**
   * Test-only fault injection (shared/util/test-faults.ts), e.g. `do_call_fails_once:<run id prefix>`.
   * Never set in a deployment; inert when unset.
   */
  KTSU_TEST_FAULTS?: string;
}
