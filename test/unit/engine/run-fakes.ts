// In-memory stand-ins for the run state's storage and D1 Store, and a small
// workflow to run, for Node tests of the run engine's pieces.

import type { CompiledStep, CompiledWorkflow } from "../../../shared/bundle.ts";
import type { RunRecord } from "../../../shared/contracts/records.ts";
import type { StartRun } from "../../../workers/orchestrator/src/run/model.ts";
import { type MirrorChange, type RunMirror, RunState, type RunStorage } from "../../../workers/orchestrator/src/run/run-state.ts";

/** Durable Object storage as a sorted map; every write is a structured clone, like the real one. */
export class MemoryStorage implements RunStorage {
  readonly data = new Map<string, unknown>();
  failNextPut = false;

  async get<T>(key: string): Promise<T | undefined> {
    return structuredClone(this.data.get(key)) as T | undefined;
  }

  async list<T>(options: { prefix: string; start?: string; limit?: number }): Promise<Map<string, T>> {
    const keys = [...this.data.keys()]
      .filter((k) => k.startsWith(options.prefix) && (options.start === undefined || k >= options.start))
      .sort()
      .slice(0, options.limit);
    return new Map(keys.map((k) => [k, structuredClone(this.data.get(k)) as T]));
  }

  async putAll(entries: Record<string, unknown>): Promise<void> {
    if (this.failNextPut) {
      this.failNextPut = false;
      throw new Error("storage write failed");
    }
    for (const [key, value] of Object.entries(entries)) this.data.set(key, structuredClone(value));
  }
}

/** The D1 Store as tables of the latest rows, with a switch that fails the next N batches. */
export class MemoryStore implements RunMirror {
  readonly runs = new Map<string, RunRecord>();
  readonly steps = new Map<string, MirrorChange["steps"][number]>();
  readonly events = new Map<number, MirrorChange["events"][number]>();
  readonly approvals: MirrorChange["approvals"] = [];
  batches = 0;
  failures = 0;
  failNext = 0;

  async createRun(run: RunRecord): Promise<boolean> {
    if (this.runs.has(run.id)) return false;
    this.runs.set(run.id, run);
    return true;
  }

  async mirror(change: MirrorChange): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      this.failures += 1;
      throw new Error("D1 batch failed");
    }
    this.batches += 1;
    if (change.run) this.runs.set(change.run.id, change.run);
    for (const step of change.steps) this.steps.set(step.id, step);
    for (const event of change.events) if (!this.events.has(event.seq)) this.events.set(event.seq, event);
    this.approvals.push(...change.approvals);
  }
}

const base = { depends_on: [], dependencies: [], output: null } as const;

export function transformStep(id: string, dependencies: string[] = []): CompiledStep {
  return { ...base, id, dependencies, depends_on: dependencies, type: "transform", transform: { inputs: [], ops: [] } };
}

export function agentStep(id: string, dependencies: string[] = [], confidence_threshold = 0): CompiledStep {
  return {
    ...base,
    id,
    dependencies,
    depends_on: dependencies,
    type: "agent",
    agent: "agents/a.agent.yaml",
    agent_ref: "agents/a.agent.yaml",
    params: {},
    confidence_threshold,
    model: { group: "default", max_tokens: 1024 },
  };
}

export function workflow(pipeline: CompiledStep[], env: CompiledWorkflow["env"] = []): CompiledWorkflow {
  return {
    key: "workflows/w.workflow.yaml",
    invoke_name: "w",
    path: "workflows/w.workflow.yaml",
    name: "w",
    visibility: "root",
    webhooks: "execute",
    env,
    params: { declared: [], required: [], schema: null },
    pipeline,
    output: { schema: null, map: null },
    model_policy: { timeout_s: 0, cost_budget_usd: 0 },
    invoke_auth: null,
  };
}

export function startInput(runId = "run-1", overrides: Partial<StartRun> = {}): StartRun {
  return {
    run_id: runId,
    workflow_key: "workflows/w.workflow.yaml",
    workflow_name: "w",
    params: {},
    payload: {},
    root_run_id: runId,
    env_enabled: true,
    webhooks_enabled: true,
    timeout_s: 0,
    cost_budget_usd: 0,
    secret_params: [],
    ...overrides,
  };
}

export interface Harness {
  state: RunState;
  storage: MemoryStorage;
  store: MemoryStore;
}

/** A run state over in-memory fakes, created (not yet committed) for `flow`. */
export async function createdRun(flow: CompiledWorkflow, input: StartRun = startInput(), env: Record<string, string> = {}): Promise<Harness> {
  const storage = new MemoryStorage();
  const store = new MemoryStore();
  const state = new RunState({ storage, mirror: store, workflowOf: (key) => (key === flow.key ? flow : undefined), envValue: (name) => env[name] });
  await state.create(input);
  return { state, storage, store };
}
