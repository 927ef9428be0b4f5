// The project as the replay serves it: the same workflows, agents and transforms, with every
// network edge pointed at the replay server. Providers become OpenAI-compatible ones behind an
// AI Gateway route (so each call names its run and step), tool servers and webhook targets are
// the server's stand-ins, and invoke auth is dropped (the replay invokes the workflow itself).

import type { CompiledStep, ProjectBundle } from "../../../shared/bundle.ts";

export interface ReplayEdges {
  /** The replay server's base URL. */
  url: string;
  /** `--live`: keep the project's own providers (real LLM calls); tools and webhooks are still replayed. */
  liveModels?: boolean;
}

function replayStep(step: CompiledStep, workflowKey: string, url: string): CompiledStep {
  if (step.type !== "webhook") return step;
  return { ...step, webhook: { ...step.webhook, url: `${url}/webhook/${encodeURIComponent(workflowKey)}/${encodeURIComponent(step.id)}` } };
}

export function replayBundle(bundle: ProjectBundle, edges: ReplayEdges): ProjectBundle {
  const { url } = edges;
  const workflows = Object.fromEntries(
    Object.entries(bundle.workflows).map(([key, workflow]) => [
      key,
      { ...workflow, invoke_auth: null, pipeline: workflow.pipeline.map((step) => replayStep(step, key, url)) },
    ]),
  );
  const servers = Object.fromEntries(
    Object.entries(bundle.servers).map(([key, server]) => [key, { ...server, url: `${url}/mcp/${encodeURIComponent(key)}`, auth: null }]),
  );
  const gateway =
    bundle.gateway && !edges.liveModels
      ? {
          ...bundle.gateway,
          // The providers' variables (API keys, base URLs) are not needed to answer from the recording.
          env: [],
          providers: bundle.gateway.providers.map((provider) => ({
            name: provider.name,
            type: "openai" as const,
            config: { ai_gateway: `${url}/llm/${encodeURIComponent(provider.name)}`, api_key: "replay" },
          })),
        }
      : bundle.gateway;
  return { ...bundle, workflows, servers, gateway };
}
