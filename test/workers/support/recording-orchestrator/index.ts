// A stand-in for the orchestrator in runtime tests. It records every heartbeat, checkpoint
// and callback the runtime sends (in one Durable Object, so all requests see one log) and
// serves envelopes the test scripted, for the tools Worker's `envelope` server.
//
//   POST /heartbeat, POST /runs/<run>/steps/<step>/{checkpoint,complete}  → recorded, 200
//   GET  /runs/<run>/envelope        → the scripted envelope, or 404
//   PUT  /__envelope?run_id=<run>    → scripts that envelope (body: the envelope JSON)
//   GET  /__records?run_id=<run>     → {"records": [{kind, run_id, step_id, at, body}]}
//   PUT  /__superseded?run_id=<run>  → from now on that run's checkpoints are answered 409
//                                      (as the orchestrator answers an attempt that is no longer current)
//   POST /__reset                    → forgets records and envelopes
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

interface Env {
  RECORDS: DurableObjectNamespace<RecordsDO>;
}

export interface RecordedRequest {
  kind: "heartbeat" | "checkpoint" | "callback";
  /** For heartbeats: every run named in `active`. */
  run_ids: string[];
  step_id?: string;
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

async function handle(req: Request, env: Env): Promise<Response> {
  const url = new URL(req.url);
  const records = env.RECORDS.get(env.RECORDS.idFromName("records"));
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
  if (route === "PUT /__superseded") {
    await records.supersede(url.searchParams.get("run_id") ?? "");
    return Response.json({ ok: true });
  }
  if (route === "POST /heartbeat") {
    const body = (await readJson(req)) as { active?: Array<{ run_id?: string }> };
    const runIds = Array.isArray(body?.active) ? body.active.map((a) => String(a?.run_id)) : [];
    await records.add({ kind: "heartbeat", run_ids: runIds, at: Date.now(), body });
    return new Response(null, { status: 200 });
  }
  const step = STEP_ROUTE.exec(url.pathname);
  if (step && req.method === "POST") {
    const runId = decodeURIComponent(step[1]!);
    if (step[3] === "checkpoint" && (await records.superseded(runId))) {
      return Response.json({ error: "stale_attempt", message: "this attempt of the step is no longer running" }, { status: 409 });
    }
    await records.add({
      kind: step[3] === "complete" ? "callback" : "checkpoint",
      run_ids: [decodeURIComponent(step[1]!)],
      step_id: decodeURIComponent(step[2]!),
      at: Date.now(),
      body: await readJson(req),
    });
    return new Response(null, { status: 200 });
  }
  const envelope = ENVELOPE_ROUTE.exec(url.pathname);
  if (envelope && req.method === "GET") {
    const found = await records.envelope(decodeURIComponent(envelope[1]!));
    return found === null ? Response.json({ error: "not_found", message: "run not found" }, { status: 404 }) : Response.json(found);
  }
  return Response.json({ error: "not_found", message: `no route for ${route}` }, { status: 404 });
}

/** What the runtime and tools bind to, as on the real orchestrator. */
export class RuntimeApi extends WorkerEntrypoint<Env> {
  override fetch(req: Request): Promise<Response> {
    return handle(req, this.env);
  }
}

export default { fetch: handle } satisfies ExportedHandler<Env>;
