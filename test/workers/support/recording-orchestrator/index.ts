// A stand-in for the orchestrator in runtime tests. It records every heartbeat, checkpoint
// and callback the runtime sends (in one Durable Object, so all requests see one log) and
// serves envelopes the test scripted, for the tools Worker's `envelope` server.
//
//   POST /heartbeat, POST /runs/<run>/steps/<step>/{checkpoint,complete}  → recorded, 200
//   (or the RuntimeApi entrypoint's RPC methods heartbeat, checkpoint, complete: recorded alike)
//   GET  /runs/<run>/envelope        → the scripted envelope, or 404
//   PUT  /__envelope?run_id=<run>    → scripts that envelope (body: the envelope JSON)
//   GET  /__records?run_id=<run>     → {"records": [{kind, run_id, step_id, at, body}]}
//   PUT  /__superseded?run_id=<run>  → from now on that run's checkpoints are answered 409
//                                      (as the orchestrator answers an attempt that is no longer current)
//   PUT  /__hold?run_id=<run>        → from now on that run's reports over RPC (complete, completeMany) are
//                                      recorded, then answered only after PUT /__release?run_id=<run>
//   PUT  /__handoff?run_id=<run>     → the run's next report over RPC is answered at once (held or not)
//                                      with this answer (body: a CompleteAnswer: items handed to the host)
//   POST /__reset                    → forgets records and envelopes
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
import type { CallbackPayload, CheckpointPayload, HeartbeatPayload } from "../../../../shared/contracts/runtime.ts";
import type { CompleteAnswer, CompleteManyOptions, OrchestratorRpc, StepResult } from "../../../../shared/contracts/service-rpc.ts";

interface Env {
  RECORDS: DurableObjectNamespace<RecordsDO>;
}

export interface RecordedRequest {
  kind: "heartbeat" | "checkpoint" | "callback";
  /** For heartbeats: every run named in `active`. */
  run_ids: string[];
  step_id?: string;
  /** For results reported with `completeMany`: the step ids of every result in that report, and what it asked for. */
  reported_with?: string[];
  report_options?: CompleteManyOptions;
  at: number;
  body: unknown;
}

export class RecordsDO extends DurableObject {
  async add(record: RecordedRequest): Promise<void> {
    const seq = ((await this.ctx.storage.get<number>("seq")) ?? 0) + 1;
    await this.ctx.storage.put({ seq, [`rec:${String(seq).padStart(8, "0")}`]: record });
  }

  async list(runId: string | null): Promise<RecordedRequest[]> {
    const entries = await this.ctx.storage.list<RecordedRequest>({ prefix: "rec:" });
    return [...entries.values()].filter((r) => runId === null || r.run_ids.includes(runId));
  }

  async setEnvelope(runId: string, envelope: unknown): Promise<void> {
    await this.ctx.storage.put(`env:${runId}`, envelope);
  }

  async envelope(runId: string): Promise<unknown> {
    return (await this.ctx.storage.get(`env:${runId}`)) ?? null;
  }

  async supersede(runId: string): Promise<void> {
    await this.ctx.storage.put(`superseded:${runId}`, true);
  }

  async superseded(runId: string): Promise<boolean> {
    return (await this.ctx.storage.get(`superseded:${runId}`)) === true;
  }

  /** Reports waiting for their run's release (`released`), woken by `hold(runId, false)`. */
  private readonly waiting = new Map<string, Array<() => void>>();

  async hold(runId: string, held: boolean): Promise<void> {
    if (held) {
      await this.ctx.storage.put(`held:${runId}`, true);
      return;
    }
    await this.ctx.storage.delete(`held:${runId}`);
    for (const wake of this.waiting.get(runId) ?? []) wake();
    this.waiting.delete(runId);
  }

  /** Settles once the run is not held: at once, or when it is released. */
  async released(runId: string): Promise<void> {
    if ((await this.ctx.storage.get(`held:${runId}`)) !== true) return;
    await new Promise<void>((wake) => this.waiting.set(runId, [...(this.waiting.get(runId) ?? []), wake]));
  }

  async setHandoff(runId: string, answer: CompleteAnswer): Promise<void> {
    await this.ctx.storage.put(`handoff:${runId}`, answer);
  }

  /** The answer scripted for the run's next report, taken (once). */
  async takeHandoff(runId: string): Promise<CompleteAnswer | undefined> {
    const answer = await this.ctx.storage.get<CompleteAnswer>(`handoff:${runId}`);
    if (answer) await this.ctx.storage.delete(`handoff:${runId}`);
    return answer;
  }

  async reset(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

const STEP_ROUTE = /^\/runs\/([^/]+)\/steps\/([^/]+)\/(checkpoint|complete)$/;
const ENVELOPE_ROUTE = /^\/runs\/([^/]+)\/envelope$/;

async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function recordsOf(env: Env) {
  return env.RECORDS.get(env.RECORDS.idFromName("records"));
}

async function recordHeartbeat(env: Env, body: unknown): Promise<void> {
  const active = (body as { active?: Array<{ run_id?: string }> } | null)?.active;
  const runIds = Array.isArray(active) ? active.map((a) => String(a?.run_id)) : [];
  await recordsOf(env).add({ kind: "heartbeat", run_ids: runIds, at: Date.now(), body });
}

/** Records a result or checkpoint; false (nothing recorded) for a checkpoint of a superseded run. */
async function recordStep(
  env: Env,
  kind: "callback" | "checkpoint",
  runId: string,
  stepId: string,
  body: unknown,
  reportedWith?: string[],
  reportOptions?: CompleteManyOptions,
): Promise<boolean> {
  const records = recordsOf(env);
  if (kind === "checkpoint" && (await records.superseded(runId))) return false;
  const report = { ...(reportedWith ? { reported_with: reportedWith } : {}), ...(reportOptions ? { report_options: reportOptions } : {}) };
  await records.add({ kind, run_ids: [runId], step_id: stepId, ...report, at: Date.now(), body });
  return true;
}

/** A report over RPC is answered once its run is not held (PUT /__hold). */
async function whileHeld(env: Env, runId: string): Promise<void> {
  await recordsOf(env).released(runId);
}

async function handle(req: Request, env: Env): Promise<Response> {
  const url = new URL(req.url);
  const records = recordsOf(env);
  const route = `${req.method} ${url.pathname}`;

  if (route === "GET /health") return Response.json({ status: "ok" });
  if (route === "GET /__records") return Response.json({ records: await records.list(url.searchParams.get("run_id")) });
  if (route === "POST /__reset") {
    await records.reset();
    return Response.json({ ok: true });
  }
  if (route === "PUT /__envelope") {
    await records.setEnvelope(url.searchParams.get("run_id") ?? "", await readJson(req));
    return Response.json({ ok: true });
  }
  if (route === "PUT /__hold" || route === "PUT /__release") {
    await records.hold(url.searchParams.get("run_id") ?? "", route === "PUT /__hold");
    return Response.json({ ok: true });
  }
  if (route === "PUT /__handoff") {
    await records.setHandoff(url.searchParams.get("run_id") ?? "", (await readJson(req)) as CompleteAnswer);
    return Response.json({ ok: true });
  }
  if (route === "PUT /__superseded") {
    await records.supersede(url.searchParams.get("run_id") ?? "");
    return Response.json({ ok: true });
  }
  if (route === "POST /heartbeat") {
    await recordHeartbeat(env, await readJson(req));
    return new Response(null, { status: 200 });
  }
  const step = STEP_ROUTE.exec(url.pathname);
  if (step && req.method === "POST") {
    const kind = step[3] === "complete" ? "callback" : "checkpoint";
    const current = await recordStep(env, kind, decodeURIComponent(step[1]!), decodeURIComponent(step[2]!), await readJson(req));
    if (!current) return Response.json({ error: "stale_attempt", message: "this attempt of the step is no longer running" }, { status: 409 });
    return new Response(null, { status: 200 });
  }
  const envelope = ENVELOPE_ROUTE.exec(url.pathname);
  if (envelope && req.method === "GET") {
    const found = await records.envelope(decodeURIComponent(envelope[1]!));
    return found === null ? Response.json({ error: "not_found", message: "run not found" }, { status: 404 }) : Response.json(found);
  }
  return Response.json({ error: "not_found", message: `no route for ${route}` }, { status: 404 });
}

/** What the runtime and tools bind to, as on the real orchestrator: the routes, and the RPC methods the runtime posts through. */
export class RuntimeApi extends WorkerEntrypoint<Env> implements OrchestratorRpc {
  override fetch(req: Request): Promise<Response> {
    return handle(req, this.env);
  }

  /** Recorded; this double hands no further items to the host. */
  async complete(runId: string, stepId: string, payload: CallbackPayload): Promise<CompleteAnswer> {
    await recordStep(this.env, "callback", runId, stepId, payload);
    await whileHeld(this.env, runId);
    return { next: [] };
  }

  /**
   * Each result recorded as its own callback, naming the others of its report (and the options it
   * asked with); answered with the scripted handoff if there is one, else with no items.
   */
  async completeMany(runId: string, results: StepResult[], options: CompleteManyOptions = {}): Promise<CompleteAnswer> {
    const reportedWith = results.map((result) => result.step_id);
    for (const { step_id, payload } of results) await recordStep(this.env, "callback", runId, step_id, payload, reportedWith, options);
    const handoff = await recordsOf(this.env).takeHandoff(runId);
    if (handoff) return handoff;
    await whileHeld(this.env, runId);
    return { next: [] };
  }

  async checkpoint(runId: string, stepId: string, payload: CheckpointPayload): Promise<{ current: boolean }> {
    return { current: await recordStep(this.env, "checkpoint", runId, stepId, payload) };
  }

  async heartbeat(payload: HeartbeatPayload): Promise<void> {
    await recordHeartbeat(this.env, payload);
  }
}

export default { fetch: handle } satisfies ExportedHandler<Env>;
