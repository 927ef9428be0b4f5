// What a run keeps of the project version it started on: its compiled workflow,
// the sub-workflows its workflow steps start (and theirs, all the way down), and the
// agents and MCP servers the agent steps of all of them use. Stored in the run's own
// storage when it starts, and handed to each sub-run it starts, so a project reloaded
// under a run (`ktsu start --watch`, a new deploy) changes neither the run's pipeline,
// prompts and tools nor those of the sub-runs it starts afterwards.

import type { CompiledAgent, CompiledServer, CompiledWorkflow, ProjectBundle } from "../../../../shared/bundle.ts";

/** The storage key of the version a run started with. */
export const PINNED_KEY = "pinned";

export interface PinnedVersion {
  workflow: CompiledWorkflow;
  /** Sub-workflows reachable from `workflow`, by bundle key (absent in runs pinned before sub-workflows were). */
  workflows?: Record<string, CompiledWorkflow>;
  agents: Record<string, CompiledAgent>;
  servers: Record<string, CompiledServer>;
}

/** Looks up the project's current workflows, agents and servers by key (undefined when absent). */
export interface VersionLookup {
  workflowOf?(key: string): CompiledWorkflow | undefined;
  agentOf?(key: string): CompiledAgent | undefined;
  serverOf?(key: string): CompiledServer | undefined;
}

/** The version of `workflow` to keep: it, its sub-workflows, and the agents and servers their agent steps name. */
export function pinVersion(workflow: CompiledWorkflow, lookup: VersionLookup): PinnedVersion {
  const pinned = {
    workflow,
    workflows: {} as Record<string, CompiledWorkflow>,
    agents: {} as Record<string, CompiledAgent>,
    servers: {} as Record<string, CompiledServer>,
  };
  const pending = [workflow];
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (const step of next.pipeline) {
      if (step.type === "workflow" && !Object.hasOwn(pinned.workflows, step.workflow)) {
        const sub = lookup.workflowOf?.(step.workflow);
        if (!sub) continue;
        pinned.workflows[step.workflow] = sub;
        pending.push(sub);
      }
      if (step.type === "agent") pinAgent(pinned, step.agent, lookup);
    }
  }
  return pinned;
}

function pinAgent(pinned: Required<PinnedVersion>, key: string, lookup: VersionLookup): void {
  if (Object.hasOwn(pinned.agents, key)) return;
  const agent = lookup.agentOf?.(key);
  if (!agent) return;
  pinned.agents[key] = agent;
  for (const ref of agent.servers) {
    const server = lookup.serverOf?.(ref.server);
    if (server) pinned.servers[ref.server] = server;
  }
}

/** The pinned sub-workflow of bundle key `key`, when the run pinned it. */
export function pinnedSubWorkflow(pinned: PinnedVersion | undefined, key: string): CompiledWorkflow | undefined {
  const workflows = pinned?.workflows;
  return workflows && Object.hasOwn(workflows, key) ? workflows[key] : undefined;
}

/** The version a sub-run of `key` starts on: its parent's, with the sub-workflow as its workflow. */
export function subRunVersion(pinned: PinnedVersion | undefined, key: string): PinnedVersion | undefined {
  const workflow = pinnedSubWorkflow(pinned, key);
  return pinned && workflow ? { ...pinned, workflow } : undefined;
}

/** `project` with the run's pinned agents and servers in place of the current ones. */
export function withPinned(project: ProjectBundle, pinned: PinnedVersion | undefined): ProjectBundle {
  if (!pinned) return project;
  return { ...project, agents: { ...project.agents, ...pinned.agents }, servers: { ...project.servers, ...pinned.servers } };
}
