import type { RuntimeRpc } from "../../../shared/contracts/service-rpc.ts";

/** Bindings of the orchestrator Worker (see wrangler.toml). */
export interface OrchestratorEnv {
  DB: D1Database;
  /** Set when the deploy keeps the Store in Postgres (`--store-url`): then the Store uses it instead of DB. */
  HYPERDRIVE?: Hyperdrive;
  /** Run Durable Objects (RunDO); `run/stub.ts` gives them their class type: naming RunDO here would make an import cycle. */
  RUNS: DurableObjectNamespace<Rpc.DurableObjectBranded>;
  /** One McpSessionDO per MCP session on `/mcp` (mcp/session-do.ts); its id is the `Mcp-Session-Id`. */
  MCP_SESSIONS: DurableObjectNamespace;
  RUN_QUEUE: Queue<unknown>;
  /** The runtime's OrchestratorApi entrypoint: its HTTP routes, and `invoke` as an RPC call. */
  RUNTIME: Fetcher & RuntimeRpc;
  GATEWAY: Fetcher;
  TOOLS: Fetcher;
  /** 32 bytes, base64: encrypts secret params in each run's storage. `ktsu start` makes one per state dir. */
  KTSU_STATE_KEY?: string;
  /** The admin routes (`/runs*`, `/approvals*`, `/workflows*`) need `Authorization: Bearer <token>`; unset, they refuse everyone. */
  KTSU_ADMIN_TOKEN?: string;
  /** "true" only on the local stack (`ktsu start` without `--secure`): with no admin token, the admin routes are open. */
  KTSU_ADMIN_OPEN?: string;
  /** Comma-separated host names the Worker answers to (the local stack: loopback names and `--host`); unset, any. */
  KTSU_ALLOWED_HOSTS?: string;
  /** Milliseconds without a heartbeat after which an agent step fails (default 15000). */
  KTSU_HEARTBEAT_TIMEOUT_MS?: string;
  /** Whole days after its end that a run is deleted by the cron (retention.ts); unset or 0, runs are kept forever. */
  KTSU_RUN_RETENTION_DAYS?: string;
  /**
   * Test-only fault injection (run/test-faults.ts, shared/util/test-faults.ts), e.g. `mirror_fails_once_at_end:<run id prefix>`.
   * Never set in a deployment; inert when unset.
   */
  KTSU_TEST_FAULTS?: string;
  /** Values of the root workflows' declared `env[]` entries arrive as vars/secrets of the same name. */
  [name: string]: unknown;
}
