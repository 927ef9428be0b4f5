import type { RuntimeEnv } from "../../../workers/runtime/src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends RuntimeEnv {
      /** The fake LLM provider (test/fake-provider), scripted over its HTTP control API. */
      FAKE_PROVIDER_URL: string;
      /** A loopback HTTP sink standing in for an external MCP server behind the egress. */
      SINK_URL: string;
      /** An external MCP server that speaks only the legacy HTTP+SSE transport (test/support/legacy-sse-mcp.ts). */
      LEGACY_MCP_URL: string;
    }
  }
}
