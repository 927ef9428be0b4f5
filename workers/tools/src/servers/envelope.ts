// The `envelope` server: read access to the current run's params and step outputs,
// through the orchestrator's own `GET /runs/<id>/envelope` over the ORCHESTRATOR binding
// (never the public API). The run is the server param `run_id` when the server file
// sets one, else the run of the calling step (header x-ktsu-run-id from the runtime).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";
import { parseWith } from "../../../../shared/contracts/schemas/parse.ts";
import { ServedEnvelopeSchema } from "../../../../shared/contracts/schemas/records.ts";
import type { ToolsEnv } from "../env.ts";
import type { RequestContext } from "../request-context.ts";
import { errorResult, textResult } from "./result.ts";

type Envelope = z.infer<typeof ServedEnvelopeSchema>;

type Loaded = { ok: true; envelope: Envelope } | { ok: false; error: string };

async function loadEnvelope(env: ToolsEnv, runId: string | undefined): Promise<Loaded> {
  if (!runId) return { ok: false, error: "no run: the envelope server needs the run id (server param run_id or the runtime's x-ktsu-run-id header)" };
  const res = await env.ORCHESTRATOR.fetch(`https://orchestrator/runs/${encodeURIComponent(runId)}/envelope`);
  if (res.status === 404) {
    await res.body?.cancel();
    return { ok: false, error: `run "${runId}" not found` };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { ok: false, error: `reading the envelope of run "${runId}" failed: orchestrator answered ${res.status}` };
  }
  const envelope = parseWith(ServedEnvelopeSchema, await res.json());
  return envelope.ok
    ? { ok: true, envelope: envelope.value }
    : { ok: false, error: `the envelope of run "${runId}" does not fit its contract: ${envelope.message}` };
}

export function createEnvelopeServer(env: ToolsEnv, context: RequestContext): McpServer {
  const runId = context.params.run_id || context.run_id;
  const server = new McpServer({ name: "envelope", version: "0.1.0" });
  const withEnvelope = async (use: (envelope: Envelope) => ReturnType<typeof textResult> | ReturnType<typeof errorResult>) => {
    const loaded = await loadEnvelope(env, runId);
    return loaded.ok ? use(loaded.envelope) : errorResult(loaded.error);
  };

  server.registerTool("get_params", { description: "The params the current run was invoked with (a JSON object)." }, () =>
    withEnvelope((envelope) => textResult(envelope.payload ?? {})),
  );
  server.registerTool("list_steps", { description: "The run's settled steps in execution order: id, status and error." }, () =>
    withEnvelope((envelope) =>
      textResult({
        run_id: envelope.run_id,
        workflow: envelope.workflow,
        steps: (envelope.steps ?? []).map((s) => ({ id: s.id, status: s.status ?? "complete", ...(s.error ? { error: s.error } : {}) })),
      }),
    ),
  );
  server.registerTool(
    "get_step_output",
    { description: "The output of one settled step of the run.", inputSchema: { step_id: z.string().min(1) } },
    ({ step_id }) =>
      withEnvelope((envelope) => {
        const step = (envelope.steps ?? []).find((s) => s.id === step_id);
        return step ? textResult(step.output) : errorResult(`step "${step_id}" has no output yet`);
      }),
  );
  server.registerTool("get_envelope", { description: "The whole run envelope: params, steps with outputs and metrics, totals." }, () =>
    withEnvelope((envelope) => textResult(envelope)),
  );
  return server;
}
