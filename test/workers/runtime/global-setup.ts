import type { TestProject } from "vitest/node";
import { startFakeProvider } from "../../fake-provider/server.ts";
import { startHttpSink } from "../../support/http-sink.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fakeProviderUrl: string;
    sinkUrl: string;
  }
}

/**
 * The fake LLM provider the real gateway calls (scripted per test over its HTTP control
 * API), and a loopback sink standing in for an external MCP server behind the egress.
 */
export default async function setup(project: TestProject) {
  const fake = await startFakeProvider({ port: 0 });
  const sink = await startHttpSink();
  project.provide("fakeProviderUrl", fake.url);
  project.provide("sinkUrl", sink.url);
  return async () => {
    await fake.close();
    await sink.close();
  };
}
