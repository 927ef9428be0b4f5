import type { TestProject } from "vitest/node";
import { startFakeProvider } from "../../fake-provider/server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fakeProviderUrl: string;
  }
}

/** One fake LLM provider for the project; tests script it over its HTTP control API. */
export default async function setup(project: TestProject) {
  const fake = await startFakeProvider();
  project.provide("fakeProviderUrl", fake.url);
  return () => fake.close();
}
