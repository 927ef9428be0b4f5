// A stand-in for the runtime Worker in orchestrator tests: it honours the
// orchestrator ↔ runtime HTTP contract (docs/contracts.md) and does what the
// agent's user message tells it, so tests can script agent results without an LLM.
//
// Script (the user message, JSON): {
//   output?: object, status?: "ok"|"failed"|"pending_approval", error?: string, raw_output?: string,
//   delay_ms?: number, hang?: boolean, heartbeat?: boolean, reject_status?: number,
//   metrics?: object, echo?: boolean,
//   pending_approval?: object, messages?: array,     // with status "pending_approval"
//   calls?: array,                                   // the step's LLM and tool call records
//   checkpoint_turns?: number,                       // post checkpoints for turns 1..n first
//   checkpoint_metrics?: object,                     // the usage those checkpoints report
//   on_resume?: Script                               // what to do when re-dispatched (is_resume)
//   pad_bytes?: number                               // output also gets step_id and a pad of this many "x"
//   take_next?: boolean                              // report over RPC (`complete` with take_next), then play
//                                                    // the items the answer hands to this host
// }
import { PURGE_HOSTS_PATH, type PurgeHostsRequest } from "../../../../shared/contracts/retention.ts";
import type { CallbackPayload, InvokeRequest } from "../../../../shared/contracts/runtime.ts";
import type { InvokeAnswer, OrchestratorRpc, RuntimeRpc } from "../../../../shared/contracts/service-rpc.ts";
import { WorkerEntrypoint } from "cloudflare:workers";

/**
 * Host names the orchestrator asked to erase (`POST /hosts/purge`), in order; `GET /hosts/purged`
 * lists them. This double keeps no hosts: the real route is tested in the runtime's own tests.
 */
const purgedHosts: string[] = [];

interface Env {
  ORCHESTRATOR: Fetcher & OrchestratorRpc;
}

interface Script {
  output?: Record<string, unknown>;
  status?: CallbackPayload["status"];
  error?: string;
  raw_output?: string;
  delay_ms?: number;
  hang?: boolean;
  heartbeat?: boolean;
  reject_status?: number;
  metrics?: Partial<CallbackPayload["metrics"]>;
  echo?: boolean;
  pending_approval?: CallbackPayload["pending_approval"];
  messages?: CallbackPayload["messages"];
  calls?: CallbackPayload["calls"];
  checkpoint_turns?: number;
  checkpoint_metrics?: Partial<CallbackPayload["metrics"]>;
  on_resume?: Script;
  pad_bytes?: number;
  take_next?: boolean;
}

const HEARTBEAT_MS = 200;

/** The orchestrator's dispatches over RPC, one entry per call; read back with `GET /__dispatches?run_id=`. */
const dispatches: Array<{ run_id: string; method: "invoke" | "invokeMany"; step_ids: string[] }> = [];

/** The hosts the orchestrator asked to cancel (`POST /cancel`), as sent; read back with `GET /__cancels?run_id=`. */
const cancels: Array<{ run_id: string; step_id: string; attempt?: number; host_key?: string }> = [];

function parseScript(message: string): Script {
  try {
    const value = JSON.parse(message);
    return typeof value === "object" && value !== null ? (value as Script) : {};
  } catch {
    return {};
  }
}

/** Large outputs without a large script: fanout items of a set size, told apart by their step id. */
function padded(script: Script, stepId: string): Record<string, unknown> {
  return { ...script.output, step_id: stepId, pad: "x".repeat(script.pad_bytes ?? 0) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function play(request: InvokeRequest, script: Script, env: Env): Promise<void> {
  const path = (suffix: string) => request.callback_url.replace(/\/complete$/, suffix);
  for (let turn = 1; turn <= (script.checkpoint_turns ?? 0); turn++) {
    const messages = [{ role: "user", content: `turn ${turn}` }];
    await env.ORCHESTRATOR.fetch(`https://orchestrator${path("/checkpoint")}`, {
      method: "POST",
      body: JSON.stringify({ attempt: request.attempt, turn, messages, metrics: script.checkpoint_metrics ?? {} }),
    });
  }
  const until = script.hang ? Infinity : Date.now() + (script.delay_ms ?? 0);
  const beat = () =>
    env.ORCHESTRATOR.fetch("https://orchestrator/heartbeat", {
      method: "POST",
      body: JSON.stringify({ runtime_id: "fake-runtime", active: [{ run_id: request.run_id, step_id: request.step_id }] }),
    });
  while (Date.now() < until) {
    if (script.heartbeat !== false) await beat();
    await sleep(Math.min(HEARTBEAT_MS, Math.max(0, until - Date.now())));
  }
  const { callback_url, ...echoed } = request;
  const payload: CallbackPayload = {
    run_id: request.run_id,
    step_id: request.step_id,
    status: script.status ?? "ok",
    output: script.echo ? { request: echoed } : script.pad_bytes ? padded(script, request.step_id) : (script.output ?? null),
    ...(script.pending_approval ? { pending_approval: script.pending_approval } : {}),
    ...(script.messages ? { messages: script.messages } : {}),
    ...(script.calls ? { calls: script.calls } : {}),
    error: script.error ?? "",
    metrics: { duration_ms: script.delay_ms ?? 0, tokens_in: 10, tokens_out: 5, cost_usd: 0.001, llm_calls: 1, tool_calls: 0, ...script.metrics },
    ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
    ...(script.raw_output !== undefined ? { raw_output: script.raw_output } : {}),
  };
  if (!script.take_next) {
    await env.ORCHESTRATOR.fetch(`https://orchestrator${callback_url}`, { method: "POST", body: JSON.stringify(payload) });
    return;
  }
  const { next } = await env.ORCHESTRATOR.complete(request.run_id, request.step_id, payload, { take_next: true });
  for (const handed of next) await play(handed, parseScript(handed.user_message), env);
}

/** A dispatch, over HTTP or RPC: refused as scripted, or played after the answer. */
function accept(request: InvokeRequest, env: Env, ctx: ExecutionContext): InvokeAnswer {
  const first = parseScript(request.user_message);
  const script = request.is_resume && first.on_resume ? first.on_resume : first;
  if (script.reject_status) return { status: script.reject_status, message: "rejected by script" };
  ctx.waitUntil(play(request, script, env));
  return { status: 202 };
}

const handler = {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    if (req.method === "POST" && url.pathname === "/cancel") {
      const { hosts } = (await req.json()) as { hosts: typeof cancels };
      cancels.push(...hosts);
      return Response.json({ cancelled: hosts.length });
    }
    if (req.method === "GET" && url.pathname === "/__dispatches") {
      return Response.json({ dispatches: dispatches.filter((d) => d.run_id === url.searchParams.get("run_id")) });
    }
    if (req.method === "GET" && url.pathname === "/__cancels") {
      return Response.json({ hosts: cancels.filter((h) => h.run_id === url.searchParams.get("run_id")) });
    }
    if (req.method === "GET" && url.pathname === "/hosts/purged") return Response.json({ hosts: purgedHosts });
    if (req.method === "POST" && url.pathname === PURGE_HOSTS_PATH) {
      const { hosts } = (await req.json()) as PurgeHostsRequest;
      purgedHosts.push(...hosts);
      return Response.json({ purged: hosts.length });
    }
    if (req.method !== "POST" || url.pathname !== "/invoke") return new Response("not found", { status: 404 });
    const request = (await req.json()) as InvokeRequest;
    const answer = accept(request, env, ctx);
    if (answer.status !== 202) return new Response(answer.message ?? "", { status: answer.status });
    return Response.json({ run_id: request.run_id, step_id: request.step_id, status: "accepted" }, { status: 202 });
  },
} satisfies ExportedHandler<Env>;

/** What the orchestrator's RUNTIME binding names, as on the real runtime: its routes, and `invoke` over RPC. */
export class OrchestratorApi extends WorkerEntrypoint<Env> implements RuntimeRpc {
  override fetch(req: Request): Promise<Response> {
    return handler.fetch(req, this.env, this.ctx);
  }

  async invoke(request: InvokeRequest): Promise<InvokeAnswer> {
    dispatches.push({ run_id: request.run_id, method: "invoke", step_ids: [request.step_id] });
    return accept(request, this.env, this.ctx);
  }

  async invokeMany(requests: InvokeRequest[]): Promise<InvokeAnswer[]> {
    dispatches.push({ run_id: requests[0]?.run_id ?? "", method: "invokeMany", step_ids: requests.map((r) => r.step_id) });
    return requests.map((request) => accept(request, this.env, this.ctx));
  }
}

export default handler;
