import type { TestProject } from "vitest/node";
import { startFakeProvider } from "../../fake-provider/server.ts";
import { startScriptedEventStreams } from "../../support/scripted-event-streams.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fakeProviderUrl: string;
    streamsUrl: string;
  }
}

/**
 * One fake LLM provider for the project; tests script it over its HTTP control API. And a
 * target behind the egress whose event streams the tests write (test/support/scripted-event-streams.ts).
 */
export default async function setup(project: TestProject) {
  const fake = await startFakeProvider();
  const streams = await startScriptedEventStreams();
  project.provide("fakeProviderUrl", fake.url);
  project.provide("streamsUrl", streams.url);
  return async () => {
    await fake.close();
    await streams.close();
  };
}
