import type { Context, Hono } from "hono";
import type { CompiledWorkflow } from "../../../../shared/bundle.ts";
import type { BudgetReport } from "../../../../shared/contracts/gateway.ts";
import type { OrchestratorEnv } from "../env.ts";
import { checkParams, findInvocable, isRefusal, newRunId, rootRun, runIdFor, type Refusal } from "../run/admission.ts";
import { assembleEnvelope } from "../run/envelope.ts";
import { runStub } from "../run/stub.ts";
import { Store } from "../store/store.ts";
import { isPlainObject, readJsonBody } from "./body.ts";
import { requireAdminToken } from "./admin-auth.ts";
import { openApiDocument } from "./openapi.ts";
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

/**
 * The run's LLM spend as the gateway's budget breaker recorded it (sub-runs share
 * their root's budget). Absent when the gateway cannot say.
 */
async function gatewaySpend(env: OrchestratorEnv, rootRunId: string): Promise<BudgetReport | null> {
  try {
    const res = await env.GATEWAY.fetch(`https://gateway/budget/${encodeURIComponent(rootRunId)}`);
    if (!res.ok) return null;
    const report = (await res.json()) as BudgetReport;
    // The gateway meters budgeted runs only; for the others the envelope's totals say it all.
    return report.budget_usd > 0 ? report : null;
  } catch {
    return null;
  }
}

/**
 * The checks of `POST /invoke` (spec §5.2, in its order): the workflow, its
 * `invoke.auth`, the body, the params. Returns the refusal to send, or what to start.
 */
async function admit(c: Ctx): Promise<Response | { workflow: CompiledWorkflow; params: Record<string, unknown> }> {
  const workflow = findInvocable(c.req.param("workflow") ?? "");
  if (isRefusal(workflow)) return refuse(c, workflow);
  const denied = await checkInvokeAuth(workflow.invoke_auth, (name) => c.req.header(name), c.env);
  if (denied) return refuse(c, denied);
  const body = await readJsonBody(c);
  if (!body.ok) return c.json({ error: body.status === 413 ? "payload_too_large" : "invalid_request", message: body.message }, body.status);
  if (!isPlainObject(body.value)) return c.json({ error: "invalid_request", message: "request body must be a JSON object" }, 400);
  const invalid = checkParams(workflow, body.value);
  return invalid ? refuse(c, invalid) : { workflow, params: body.value };
}

/** `GET /runs/{id}/envelope`, with the gateway's spend record (also served to the tools Worker internally). */
export async function envelopeResponse(c: Ctx): Promise<Response> {
  const store = new Store(c.env.DB);
  const run = await store.getRun(c.req.param("run") ?? "");
  if (!run) return c.json({ error: "not_found", message: "run not found" }, 404);
  const envelope = assembleEnvelope(run, await store.listSteps(run.id));
  const budget = await gatewaySpend(c.env, run.id.split("/")[0]!);
  return c.json(budget ? { ...envelope, budget } : envelope);
}

/** The public API (spec §5). Runtime-facing routes live on the RuntimeApi entrypoint (runtime-routes.ts). */
export function registerRoutes(app: App): void {
  for (const path of ["/runs", "/runs/*", "/approvals", "/approvals/*"]) app.use(path, requireAdminToken);

  app.get("/openapi.json", (c) => c.json(openApiDocument));

  app.post("/invoke/:workflow", async (c) => {
    const admitted = await admit(c);
    if (admitted instanceof Response) return admitted;
    const runId = newRunId();
    await runStub(c.env, runId).start(rootRun(admitted.workflow, runId, admitted.params));
    return c.json({ run_id: runId, status: "accepted" }, 202);
  });

  // Queue-triggered runs over HTTP: the same checks as /invoke, then a message on the run queue.
  // The run id derives from the Idempotency-Key, so a retried enqueue never starts a second run.
  app.post("/enqueue/:workflow", async (c) => {
    const admitted = await admit(c);
    if (admitted instanceof Response) return admitted;
    const key = c.req.header("idempotency-key") || crypto.randomUUID();
    await c.env.RUN_QUEUE.send({ workflow: c.req.param("workflow"), params: admitted.params, idempotency_key: key });
    return c.json({ run_id: await runIdFor(key), status: "queued", idempotency_key: key }, 202);
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
    // A suspended step shows the call waiting for a decision and its arguments.
    const shown = await Promise.all(
      steps.map(async (step) =>
        step.status === "pending_approval" || step.status === "needs_human" ? { ...step, pending_approval: await store.latestApproval(run.id, step.id) } : step,
      ),
    );
    return c.json({ run, steps: shown.length > 0 ? shown : null });
  });

  app.get("/runs/:run/envelope", envelopeResponse);

  // Live progress: Server-Sent Events from the run's Durable Object, resumable with Last-Event-ID.
  app.get("/runs/:run/events", async (c) => {
    const runId = c.req.param("run");
    if (!(await new Store(c.env.DB).getRun(runId))) return c.json({ error: "not_found", message: "run not found" }, 404);
    const after = c.req.header("last-event-id") ?? c.req.query("after") ?? "0";
    return runStub(c.env, runId).fetch(`https://run/events?after=${encodeURIComponent(after)}`);
  });

  app.get("/runs/:run/steps/:step/approval", async (c) => {
    const approval = await new Store(c.env.DB).latestApproval(c.req.param("run"), c.req.param("step"));
    return approval ? c.json(approval) : c.json({ error: "not_found", message: "approval not found" }, 404);
  });

  app.post("/runs/:run/steps/:step/approval/decide", async (c) => {
    const body = await readJsonBody(c);
    const decision = body.ok && isPlainObject(body.value) ? body.value.decision : undefined;
    if (decision !== "approved" && decision !== "rejected") {
      return c.json({ error: "invalid_request", message: 'decision must be "approved" or "rejected"' }, 400);
    }
    const result = await runStub(c.env, c.req.param("run")).decide(c.req.param("step"), decision);
    if (result.status === 200) return c.body(null, 200);
    const error = result.status === 404 ? "not_found" : result.status === 409 ? "conflict" : result.status === 400 ? "invalid_request" : "internal_error";
    return c.json({ error, message: result.message ?? "" }, result.status);
  });

  app.get("/approvals", async (c) => c.json(await new Store(c.env.DB).pendingApprovals()));
}
