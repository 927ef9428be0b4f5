// `ktsu start --workspace DIR` on the local stack: a workflow that exists only
// in the workspace runs to completion, with the agent of its own workspace
// (the primary project has an agent at the same path, with another prompt).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrchestratorClient } from "../../cli/src/client/orchestrator.ts";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";

const WORKSPACE = path.join(REPO_ROOT, "test", "fixtures", "workspaces", "stack-ws");

let started: StartedProject;
let fake: FakeProvider;
let stateDir: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-workspaces-"));
  started = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "examples", "hello"),
    workspaces: [WORKSPACE],
    stateDir,
    port: 0,
    environment: { ...process.env, KTSU_FAKE_PROVIDER_URL: fake.url },
  });
});

afterAll(async () => {
  await started?.stack.dispose();
  await fake?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("ktsu start --workspace", () => {
  it("serves the project's workflows and the workspace's", () => {
    const names = Object.values(started.bundle.workflows).map((w) => w.invoke_name);
    expect(names).toEqual(expect.arrayContaining(["hello", "shout"]));
    expect(started.report.workspaces).toEqual([WORKSPACE]);
  });

  it("runs a workflow that lives only in the workspace to completion, with the workspace's agent", async () => {
    fake.script({ text: JSON.stringify({ shout: "ADA!" }) });
    const client = new OrchestratorClient(started.stack.url.href);
    const { run_id } = await client.invoke("shout", JSON.stringify({ name: "Ada" }));

    const seen: string[] = [];
    for await (const event of client.events(run_id)) seen.push(event.type);
    expect(seen.at(-1)).toBe("run_completed");

    const envelope = await client.envelope(run_id);
    expect(envelope.status).toBe("complete");
    expect((envelope.steps ?? []).map((s) => [s.id, s.status, s.output])).toEqual([["shout", "complete", { shout: "ADA!" }]]);

    // The call carried the workspace agent's prompts, not examples/hello's greeter at the same path.
    const call = fake.calls.find((c) => JSON.stringify(c.body).includes("Shout Ada"));
    expect(JSON.stringify(call?.body)).toContain("WORKSPACE SHOUTER");
    expect(JSON.stringify(fake.calls.map((c) => c.body))).not.toContain("friendly assistant");
  });
});
