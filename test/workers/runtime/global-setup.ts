import type { TestProject } from "vitest/node";
import { startFakeProvider } from "../../fake-provider/server.ts";
import { startHttpSink } from "../../support/http-sink.ts";
import { startLegacySseMcp } from "../../support/legacy-sse-mcp.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fakeProviderUrl: string;
    sinkUrl: string;
    legacyMcpUrl: string;
  }
}

/**
 * The fake LLM provider the real gateway calls (scripted per test over its HTTP control
 * API), a loopback sink standing in for an external MCP server behind the egress, and an
 * external MCP server that speaks only the legacy HTTP+SSE transport.
 */
export default async function setup(project: TestProject) {
  const fake = await startFakeProvider({ port: 0 });
  const sink = await startHttpSink();
  const legacy = await startLegacySseMcp();
  project.provide("fakeProviderUrl", fake.url);
  project.provide("sinkUrl", sink.url);
  project.provide("legacyMcpUrl", legacy.url);
  return async () => {
    await fake.close();
    await sink.close();
    await legacy.close();
  };
}
