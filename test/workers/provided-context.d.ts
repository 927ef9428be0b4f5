// Values the workerd test projects' globalSetup files provide to tests (`inject(...)`).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** test/workers/orchestrator: the loopback webhook receiver. */
    sinkUrl: string;
    /** The fake LLM provider (test/fake-provider). */
    fakeProviderUrl: string;
  }
}
