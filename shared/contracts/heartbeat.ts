// The heartbeat pair: the runtime reports each running step every
// KTSU_HEARTBEAT_INTERVAL_MS (a runtime var); the orchestrator fails a step it
// has not heard about for KTSU_HEARTBEAT_TIMEOUT_MS (an orchestrator var).
// The defaults, in one place for the Workers and the CLI that checks the pair.

/** The runtime's beat when KTSU_HEARTBEAT_INTERVAL_MS is unset (workers/runtime/wrangler.toml sets the same). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;

/** How long the orchestrator waits for a beat when KTSU_HEARTBEAT_TIMEOUT_MS is unset. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 15_000;
