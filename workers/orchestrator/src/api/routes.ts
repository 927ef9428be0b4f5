import type { Context, Hono } from "hono";
import type { CallbackPayload, HeartbeatPayload } from "../../../../shared/contracts/runtime.ts";
import type { OrchestratorEnv } from "../env.ts";
import { checkParams, findInvocable, isRefusal, newRunId, rootRun, type Refusal } from "../run/admission.ts";
import { assembleEnvelope } from "../run/envelope.ts";
import { runStub } from "../run/stub.ts";
import { Store } from "../store/store.ts";
import { isPlainObject, readJsonBody } from "./body.ts";
import { checkInvokeAuth } from "./invoke-auth.ts";

type App = Hono<{ Bindings: OrchestratorEnv }>;
type Ctx = Context<{ Bindings: OrchestratorEnv }>;

function refuse(c: Ctx, refusal: Refusal): Response {
  const body: Record<string, string> = refusal.status === 401 ? { error: refusal.error } : { error: refusal.error, message: refusal.message };
  if (refusal.field !== undefined) body.field = refusal.field;
  return c.json(body, refusal.status);
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : fallback;
}

/** The public API (spec §5) and the runtime-facing routes. */
export function registerRoutes(app: App): void {
  app.post("/invoke/:workflow", async (c) => {
    const workflow = findInvocable(c.req.param("workflow"));
    if (isRefusal(workflow)) return refuse(c, workflow);
    const denied = await checkInvokeAuth(workflow.invoke_auth, (name) => c.req.header(name), c.env);
    if (denied) return refuse(c, denied);
    const body = await readJsonBody(c);
    if (!body.ok) return c.json({ error: body.status === 413 ? "payload_too_large" : "invalid_request", message: body.message }, body.status);
    if (!isPlainObject(body.value)) return c.json({ error: "invalid_request", message: "request body must be a JSON object" }, 400);
    const invalid = checkParams(workflow, body.value);
    if (invalid) return refuse(c, invalid);
    const runId = newRunId();
    await runStub(c.env, runId).start(rootRun(workflow, runId, body.value));
    return c.json({ run_id: runId, status: "accepted" }, 202);
  });

  app.get("/runs", async (c) => {
    const store = new Store(c.env.DB);
    const runs = await store.listRuns({ workflow: c.req.query("workflow"), status: c.req.query("status"), limit: positiveInt(c.req.query("limit"), 50) });
    return c.json({ runs });
  });

  app.get("/runs/:run", async (c) => {
    const store = new Store(c.env.DB);
    const run = await store.getRun(c.req.param("run"));
    if (!run) return c.json({ error: "not_found", message: "run not found" }, 404);
    const steps = await store.listSteps(run.id);
    return c.json({ run, steps: steps.length > 0 ? steps : null });
  });

  app.get("/runs/:run/envelope", async (c) => {
    const store = new Store(c.env.DB);
    const run = await store.getRun(c.req.param("run"));
    if (!run) return c.json({ error: "not_found", message: "run not found" }, 404);
    return c.json(assembleEnvelope(run, await store.listSteps(run.id)));
  });

  // Runtime-facing: the agent result for a step (ids percent-encoded, so sub-run ids with "/" work).
  app.post("/runs/:run/steps/:step/complete", async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok || !isPlainObject(body.value)) return c.json({ error: "invalid_request", message: "invalid payload" }, 400);
    const payload = body.value as unknown as CallbackPayload;
    await runStub(c.env, c.req.param("run")).callback({ ...payload, run_id: c.req.param("run"), step_id: c.req.param("step") });
    return c.body(null, 200);
  });

  app.post("/heartbeat", async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok || !isPlainObject(body.value) || !Array.isArray(body.value.active)) {
      return c.json({ error: "invalid_request", message: "invalid payload" }, 400);
    }
    const byRun = new Map<string, string[]>();
    for (const entry of (body.value as unknown as HeartbeatPayload).active) {
      if (typeof entry?.run_id !== "string" || typeof entry?.step_id !== "string") continue;
      byRun.set(entry.run_id, [...(byRun.get(entry.run_id) ?? []), entry.step_id]);
    }
    await Promise.all([...byRun].map(([runId, steps]) => runStub(c.env, runId).heartbeat(steps)));
    return c.body(null, 200);
  });
}
