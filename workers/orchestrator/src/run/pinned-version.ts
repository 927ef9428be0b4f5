// What a run keeps of the project version it started on: its compiled workflow
// and the agents and MCP servers its agent steps use. Stored in the run's own
// storage when it starts, so a project reloaded under a run (`ktsu start
// --watch`, a new deploy) does not change the run's pipeline, prompts or tools.

import type { CompiledAgent, CompiledServer, CompiledWorkflow, ProjectBundle } from "../../../../shared/bundle.ts";

/** The storage key of the version a run started with. */
export const PINNED_KEY = "pinned";

export interface PinnedVersion {
  workflow: CompiledWorkflow;
  agents: Record<string, CompiledAgent>;
  servers: Record<string, CompiledServer>;
}

/** Looks up the project's current agents and servers by key (undefined when absent). */
export interface VersionLookup {
  agentOf?(key: string): CompiledAgent | undefined;
  serverOf?(key: string): CompiledServer | undefined;
}

/** The version of `workflow` to keep: it, and the agents and servers its agent steps name. */
export function pinVersion(workflow: CompiledWorkflow, lookup: VersionLookup): PinnedVersion {
  const pinned: PinnedVersion = { workflow, agents: {}, servers: {} };
  for (const step of workflow.pipeline) {
    if (step.type !== "agent") continue;
    const agent = lookup.agentOf?.(step.agent);
    if (!agent) continue;
    pinned.agents[step.agent] = agent;
    for (const ref of agent.servers) {
      const server = lookup.serverOf?.(ref.server);
      if (server) pinned.servers[ref.server] = server;
    }
  }
  return pinned;
}

/** `project` with the run's pinned agents and servers in place of the current ones. */
export function withPinned(project: ProjectBundle, pinned: PinnedVersion | undefined): ProjectBundle {
  if (!pinned) return project;
  return { ...project, agents: { ...project.agents, ...pinned.agents }, servers: { ...project.servers, ...pinned.servers } };
}
