import { describe, expect, it } from "vitest";
import { eventKey } from "../../../workers/orchestrator/src/run/model.ts";
import { createdRun, startInput, transformStep, workflow } from "./run-fakes.ts";

const flow = workflow([transformStep("a"), transformStep("b", ["a"])]);

describe("run state commit", () => {
  it("writes changes and events to storage before it mirrors them to D1", async () => {
    const { state, storage, store } = await createdRun(flow);
    let storedFirst: boolean | undefined;
    const mirror = store.mirror.bind(store);
    store.mirror = async (change) => {
      storedFirst = change.events.every((e) => storage.data.has(eventKey(e.seq)));
      await mirror(change);
    };
    const a = state.stepState("a");
    a.status = "running";
    state.touchStep(a);
    state.event("step_started", "a");
    await state.commit();
    expect(storedFirst).toBe(true);
    expect(store.steps.get("a")?.status).toBe("running");
    expect([...store.events.keys()]).toEqual([1, 2]);
  });

  it("keeps the rows and events of a failed mirror batch and sends them with the next commit", async () => {
    const { state, storage, store } = await createdRun(flow);
    await state.commit(); // run_started
    expect(store.events.size).toBe(1);

    const a = state.stepState("a");
    a.status = "complete";
    state.touchStep(a);
    state.event("step_completed", "a");
    state.run.status = "complete";
    state.touchRun();
    state.event("run_completed");
    store.failNext = 1;
    // A failed mirror does not throw: storage (the source of truth) already has the change.
    await expect(state.commit()).resolves.toHaveLength(2);
    expect(store.failures).toBe(1);
    expect(storage.data.has(eventKey(3))).toBe(true);
    expect(store.runs.get("run-1")?.status).toBe("running");
    expect(store.events.size).toBe(1);
    expect(state.mirrorPending()).toBe(true);

    // The next commit (here with nothing new, as the alarm's retry does) delivers all of it.
    await state.commit();
    expect(state.mirrorPending()).toBe(false);
    expect(store.runs.get("run-1")?.status).toBe("complete");
    expect(store.steps.get("a")?.status).toBe("complete");
    expect([...store.events.keys()].sort()).toEqual([1, 2, 3]);
    expect(store.events.get(3)?.type).toBe("run_completed");
  });

  it("a change made after a failed batch goes out together with the retried rows", async () => {
    const { state, store } = await createdRun(flow);
    const a = state.stepState("a");
    a.status = "running";
    state.touchStep(a);
    state.event("step_started", "a");
    store.failNext = 1;
    await state.commit();
    const b = state.stepState("b");
    b.status = "running";
    state.touchStep(b);
    state.event("step_started", "b");
    await state.commit();
    expect(store.batches).toBe(1);
    expect([...store.steps.keys()].sort()).toEqual(["a", "b"]);
    expect([...store.events.keys()].sort()).toEqual([1, 2, 3]);
  });

  it("a failed storage write throws and keeps everything for the next commit, with nothing sent to D1", async () => {
    const { state, storage, store } = await createdRun(flow);
    storage.failNextPut = true;
    await expect(state.commit()).rejects.toThrow("storage write failed");
    expect(store.batches).toBe(0);
    await state.commit();
    expect(storage.data.has(eventKey(1))).toBe(true);
    expect(store.events.get(1)?.type).toBe("run_started");
  });

  it("remirrorAll sends the whole run again, events included", async () => {
    const { state, store } = await createdRun(flow);
    await state.commit();
    store.runs.clear();
    store.events.clear();
    state.remirrorAll(await state.storedEvents(0));
    expect(state.mirrorPending()).toBe(true);
    await state.commit();
    expect(store.runs.get("run-1")?.status).toBe("running");
    expect([...store.steps.keys()].sort()).toEqual(["a", "b"]);
    expect(store.events.get(1)?.type).toBe("run_started");
  });

  it("a fresh instance loads what was committed", async () => {
    const { state, storage, store } = await createdRun(flow);
    const a = state.stepState("a");
    a.status = "running";
    a.heartbeat_deadline_at = 1;
    state.touchStep(a);
    await state.commit();
    const { RunState } = await import("../../../workers/orchestrator/src/run/run-state.ts");
    const reloaded = new RunState({ storage, mirror: store, workflowOf: () => flow, envValue: () => undefined });
    await reloaded.load(5000);
    expect(reloaded.run.run_id).toBe("run-1");
    expect(reloaded.stepState("a").status).toBe("running");
    // Heartbeats are not stored: a loaded running step gets a full window.
    expect(reloaded.stepState("a").heartbeat_deadline_at).toBe(5000);
  });

  it("stores a step only once it changes; a fresh instance has the others pending, in storage key order", async () => {
    const wide = workflow([transformStep("b"), transformStep("é"), transformStep("a"), transformStep("c", ["a"])]);
    const { state, storage, store } = await createdRun(wide);
    await state.commit();
    expect([...storage.data.keys()].filter((key) => key.startsWith("step:"))).toEqual([]);
    const c = state.stepState("c");
    c.status = "running";
    state.touchStep(c);
    await state.commit();
    expect([...storage.data.keys()].filter((key) => key.startsWith("step:"))).toEqual(["step:c"]);
    const { RunState } = await import("../../../workers/orchestrator/src/run/run-state.ts");
    const reloaded = new RunState({ storage, mirror: store, workflowOf: () => wide, envValue: () => undefined });
    await reloaded.load(0);
    expect([...reloaded.stepStates().values()].map((s) => `${s.id}:${s.status}`)).toEqual(["a:pending", "b:pending", "c:running", "é:pending"]);
    expect(reloaded.stepState("a")).toEqual({ id: "a", type: "transform", status: "pending", seq: -1, metrics: state.stepState("a").metrics, attempt: 0 });
  });
});

describe("the version a run started on", () => {
  it("is kept in storage: a fresh instance reads the workflow it started with, not the current one", async () => {
    const { state, storage, store } = await createdRun(flow);
    await state.commit();
    const edited = workflow([transformStep("a"), transformStep("b", ["a"]), transformStep("c", ["b"])]);
    const { RunState } = await import("../../../workers/orchestrator/src/run/run-state.ts");
    const reloaded = new RunState({ storage, mirror: store, workflowOf: () => edited, envValue: () => undefined });
    await reloaded.load(0);
    expect(reloaded.workflow.pipeline.map((s) => s.id)).toEqual(["a", "b"]);
  });

  it("pins the agents and servers of its agent steps, and overlays them on the current project", async () => {
    const { pinVersion, withPinned } = await import("../../../workers/orchestrator/src/run/pinned-version.ts");
    const agentFlow = workflow([{ ...transformStep("a"), type: "agent", agent: "agents/x.agent.yaml" } as never]);
    const agent = { path: "agents/x.agent.yaml", name: "x-old", servers: [{ server: "servers/kv.server.yaml" }] } as never;
    const server = { name: "kv-old" } as never;
    const pinned = pinVersion(agentFlow, { agentOf: () => agent, serverOf: () => server });
    expect(Object.keys(pinned.agents)).toEqual(["agents/x.agent.yaml"]);
    expect(Object.keys(pinned.servers)).toEqual(["servers/kv.server.yaml"]);
    const current = { agents: { "agents/x.agent.yaml": { name: "x-new" }, "agents/y.agent.yaml": { name: "y" } }, servers: {} } as never;
    const seen = withPinned(current, pinned);
    expect((seen.agents["agents/x.agent.yaml"] as { name: string }).name).toBe("x-old");
    expect((seen.agents["agents/y.agent.yaml"] as { name: string }).name).toBe("y");
    expect((seen.servers["servers/kv.server.yaml"] as { name: string }).name).toBe("kv-old");
  });

  it("pins its sub-workflows all the way down with their agents, and hands a sub-run its parent's version", async () => {
    const { pinVersion, subRunVersion } = await import("../../../workers/orchestrator/src/run/pinned-version.ts");
    const sub = (id: string, key: string) => ({ ...transformStep(id), type: "workflow", workflow: key }) as never;
    const agentStep = (id: string, key: string) => ({ ...transformStep(id), type: "agent", agent: key }) as never;
    const workflows: Record<string, ReturnType<typeof workflow>> = {
      "workflows/mid.workflow.yaml": workflow([sub("down", "workflows/leaf.workflow.yaml"), agentStep("think", "agents/mid.agent.yaml")]),
      // A cycle in the lookup must not loop: each sub-workflow is pinned once.
      "workflows/leaf.workflow.yaml": workflow([agentStep("deep", "agents/leaf.agent.yaml"), sub("again", "workflows/mid.workflow.yaml")]),
    };
    const root = workflow([sub("call", "workflows/mid.workflow.yaml"), sub("gone", "workflows/missing.workflow.yaml")]);
    const pinned = pinVersion(root, {
      workflowOf: (key) => workflows[key] as never,
      agentOf: (key) => ({ path: key, name: key, servers: [] }) as never,
    });
    expect(Object.keys(pinned.workflows ?? {}).sort()).toEqual(["workflows/leaf.workflow.yaml", "workflows/mid.workflow.yaml"]);
    expect(Object.keys(pinned.agents).sort()).toEqual(["agents/leaf.agent.yaml", "agents/mid.agent.yaml"]);

    const child = subRunVersion(pinned, "workflows/mid.workflow.yaml");
    expect(child?.workflow).toBe(workflows["workflows/mid.workflow.yaml"]);
    expect(child?.agents).toBe(pinned.agents);
    // A sub-workflow the run did not pin (absent from the bundle when it started; runs pinned before
    // sub-workflows were) leaves the sub-run to pin the current version.
    expect(subRunVersion(pinned, "workflows/missing.workflow.yaml")).toBeUndefined();
    expect(subRunVersion({ ...pinned, workflows: undefined }, "workflows/mid.workflow.yaml")).toBeUndefined();
  });

  it("a sub-run created with its parent's version runs that, not the current bundle's, and keeps it apart from its meta", async () => {
    const started = workflow([transformStep("old")]);
    const pinned = { workflow: started, workflows: {}, agents: {}, servers: {} };
    const { state, storage } = await createdRun(workflow([transformStep("new")]), startInput("run-1/call", { pinned }));
    expect(state.workflow.pipeline.map((s) => s.id)).toEqual(["old"]);
    expect(state.stepState("old").status).toBe("pending");
    expect(storage.data.get("meta")).not.toHaveProperty("pinned");
    expect((storage.data.get("pinned") as typeof pinned).workflow.pipeline.map((s) => s.id)).toEqual(["old"]);
  });
});
