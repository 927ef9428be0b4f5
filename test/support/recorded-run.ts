// A run recorded for `ktsu replay` tests: a project started on a local stack with the offline
// fake provider (the project's fake-plan.json, when it has one), one workflow invoked and
// waited for until it completes.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { OrchestratorClient } from "../../cli/src/client/orchestrator.ts";
import { startLocalProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakePlan, type FakeProvider } from "../fake-provider/server.ts";
import { waitFor } from "./poll.ts";

export interface RecordedRun {
  runId: string;
  /** The recording orchestrator's URL (for `--orchestrator`). */
  url: string;
  fake: FakeProvider;
  dispose(): Promise<void>;
}

export async function recordRun(projectDir: string, workflow: string, input: Record<string, unknown>): Promise<RecordedRun> {
  const planFile = path.join(projectDir, "fake-plan.json");
  const plans = existsSync(planFile) ? (JSON.parse(readFileSync(planFile, "utf8")) as { plans: FakePlan[] }).plans : [];
  const fake = await startFakeProvider({ plans });
  const stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-replay-recorded-"));
  const dispose = async () => {
    await started?.stack.dispose();
    await fake.close();
    await rm(stateDir, { recursive: true, force: true });
  };
  let started: Awaited<ReturnType<typeof startLocalProject>> | undefined;
  try {
    started = await startLocalProject({ projectDir, stateDir, port: 0, environment: { ...process.env, KTSU_FAKE_PROVIDER_URL: fake.url } });
    const client = new OrchestratorClient(started.stack.url.href);
    const { run_id } = await client.invoke(workflow, JSON.stringify(input));
    await waitFor(async () => (await client.getRun(run_id)).run.status === "complete", "the recorded run to complete", 120_000);
    return { runId: run_id, url: started.stack.url.href.replace(/\/$/, ""), fake, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** The report's verdict per step: `{classify: "same", record: "changed", …}`. */
export function verdicts(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}(\S+)\s+(same|changed)$/gm)].map((m) => [m[1]!, m[2]!]));
}
