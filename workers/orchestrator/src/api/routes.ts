import type { Context } from "hono";
import type { CompiledWorkflow } from "../../../../shared/bundle.ts";
import type { BudgetReport } from "../../../../shared/contracts/gateway.ts";
import type { Envelope } from "../../../../shared/contracts/records.ts";
import { BudgetReportSchema } from "../../../../shared/contracts/schemas/gateway.ts";
import type { OrchestratorEnv } from "../env.ts";
import { claimFor, keyReusedMessage } from "../idempotency.ts";
import { runTraceFrom } from "../../../../shared/otel/trace-context.ts";
import { checkParams, findInvocable, isRefusal, newRunId, rootRun, type Refusal } from "../run/admission.ts";
import { assembleEnvelope } from "../run/envelope.ts";
import { DEFAULT_ITEM_PAGE_LIMIT, type ItemPageAnswer } from "../run/item-pages.ts";
import { envelopeStream, isPagedOutput } from "./envelope-stream.ts";
import { retryDurableObjectCall } from "../../../../shared/util/durable-object-retries.ts";
import { cancelByRequest } from "../run/cancel-by-request.ts";
import { runStub } from "../run/stub.ts";
import { openStore } from "../store/open-store.ts";
import type { OrchestratorApp } from "./app-type.ts";
import { bodyReadByHandler, readJsonBody } from "./body.ts";
import { requireAdminToken } from "./admin-auth.ts";
import { openApiDocument } from "./document.ts";
import { checkInvokeAuth, presentedToken } from "./invoke-auth.ts";
import { DEFAULT_RUN_LIST_LIMIT, DecisionSchema, InvokeParamsSchema } from "./schemas.ts";
import {
  approvalRoute,
  cancelRunRoute,
  decideRoute,
  documentRoute,
  enqueueRoute,
  envelopeRoute,
  eventsRoute,
  getRunRoute,
  invokeRoute,
  itemsRoute,
  listRunsRoute,
  pendingApprovalsRoute,
} from "./spec.ts";

type Ctx = Context<{ Bindings: OrchestratorEnv }>;

/** An error answer of the API: `{error, message}`, plus `field` when one field is at fault. */
interface ApiError {
  error: string;
  message?: string;
  field?: string;
}

type Refused = { status: Refusal["status"] | 413; body: ApiError };

/** invoke.auth's 401 is `{"error":"unauthorized"}` alone, as the original answered. */
function refusal(refusal: Refusal): Refused {
  const body: ApiError = refusal.status === 401 ? { error: refusal.error } : { error: refusal.error, message: refusal.message };
  if (refusal.field !== undefined) body.field = refusal.field;
  return { status: refusal.status, body };
}

/**
 * The run's LLM spend as the gateway's budget breaker recorded it (sub-runs share
 * their root's budget). Absent when the gateway cannot say, or says something that is not a report.
 */
async function gatewaySpend(env: OrchestratorEnv, rootRunId: string): Promise<BudgetReport | null> {
  try {
    const res = await env.GATEWAY.fetch(`https://gateway/budget/${encodeURIComponent(rootRunId)}`);
    if (!res.ok) return null;
    const report = BudgetReportSchema.safeParse(await res.json());
    // The gateway meters budgeted runs only; for the others the envelope's totals say it all.
    return report.success && report.data.budget_usd > 0 ? report.data : null;
  } catch {
    return null;
  }
}

/** An admitted request: the workflow, its params, and the token it presented to `invoke.auth` (null for an open workflow). */
interface Admitted {
  workflow: CompiledWorkflow;
  params: Record<string, unknown>;
  credential: string | null;
}

/**
 * The checks of `POST /invoke`, in the original's order: the workflow, its `invoke.auth`,
 * the body, the params. Returns the refusal to send, or what to start.
 */
async function admit(c: Ctx, name: string): Promise<Refused | Admitted> {
  const workflow = findInvocable(name);
  if (isRefusal(workflow)) return refusal(workflow);
  const denied = await checkInvokeAuth(workflow.invoke_auth, (header) => c.req.header(header), c.env);
  if (denied) return refusal(denied);
  const body = await readJsonBody(c);
  if (!body.ok) {
    const field = body.field === undefined ? {} : { field: body.field };
    return { status: body.status, body: { error: body.status === 413 ? "payload_too_large" : "invalid_request", message: body.message, ...field } };
  }
  const params = InvokeParamsSchema.safeParse(body.value);
  if (!params.success) return { status: 400, body: { error: "invalid_request", message: "request body must be a JSON object" } };
  const invalid = checkParams(workflow, params.data);
  if (invalid) return refusal(invalid);
  const credential = workflow.invoke_auth ? presentedToken(workflow.invoke_auth, (header) => c.req.header(header)) : null;
  return { workflow, params: params.data, credential };
}

/**
 * The envelope of a run with the gateway's spend record, or null for an unknown run (also served
 * to the tools Worker internally, where paged fanout results stay `{"results_paged": …}`), and the
 * agent steps whose results are paged.
 */
export async function servedEnvelope(env: OrchestratorEnv, runId: string): Promise<(Envelope & { budget?: BudgetReport; paged: Set<string> }) | null> {
  const read = await openStore(env).runWithSteps(runId);
  if (!read) return null;
  const { run, steps } = read;
  const paged = new Set(steps.filter((step) => step.type === "agent" && step.output && isPagedOutput(step.output)).map((step) => step.id));
  const envelope = assembleEnvelope(run, steps);
  const budget = await gatewaySpend(env, run.id.split("/")[0]!);
  return { ...envelope, ...(budget ? { budget } : {}), paged };
}

/** A page of a fanout step's items from the run's object (a read, so retried). */
async function itemPageOf(env: OrchestratorEnv, runId: string, stepId: string, from: number, limit: number, withCalls = false): Promise<ItemPageAnswer> {
  // The RPC types cannot express `unknown` outputs: the object answers an ItemPageAnswer.
  return (await retryDurableObjectCall(() => runStub(env, runId).items(stepId, from, limit, withCalls))) as ItemPageAnswer;
}

const runNotFound = { error: "not_found", message: "run not found" };

/** The public API. Runtime-facing routes live on the RuntimeApi entrypoint (runtime-routes.ts). */
export function registerRoutes(app: OrchestratorApp): void {
  // Registered before the routes and for whole subtrees, so an unknown path under them also needs the token.
  for (const path of ["/runs", "/runs/*", "/approvals", "/approvals/*"]) app.use(path, requireAdminToken);

  app.openapi(documentRoute, (c) => c.json(openApiDocument(), 200));

  app.openapi(bodyReadByHandler(invokeRoute), async (c) => {
    const admitted = await admit(c, c.req.valid("param").workflow);
    if ("body" in admitted) return c.json(admitted.body, admitted.status);
    const runId = newRunId();
    // A caller's W3C `traceparent` makes the run's span a child in the caller's trace.
    const start = rootRun(admitted.workflow, runId, admitted.params, { trace: runTraceFrom(c.req.valid("header").traceparent) });
    await retryDurableObjectCall(() => runStub(c.env, runId).start(start)); // idempotent by run id
    return c.json({ run_id: runId, status: "accepted" as const }, 202);
  });

  // Queue-triggered runs over HTTP: the same checks as /invoke, then a message on the run queue.
  // The key counts within the workflow and the caller's invoke.auth credential; the run id derives
  // from that key space, so a retried enqueue names the same run and never starts a second one.
  // The message is sent again on a retry (the first send may be what failed): it carries the
  // run id, and a run that exists already is not started twice.
  app.openapi(bodyReadByHandler(enqueueRoute), async (c) => {
    const { workflow } = c.req.valid("param");
    const admitted = await admit(c, workflow);
    if ("body" in admitted) return c.json(admitted.body, admitted.status);
    const key = c.req.valid("header")["idempotency-key"] || crypto.randomUUID();
    const claim = await claimFor({ workflow, credential: admitted.credential, key }, admitted.params);
    const stored = await openStore(c.env).claimIdempotencyKey(claim);
    if (stored.bodyHash !== claim.bodyHash) return c.json({ error: "conflict", message: keyReusedMessage(key) }, 409);
    const { traceparent } = c.req.valid("header");
    await c.env.RUN_QUEUE.send({ workflow, params: admitted.params, idempotency_key: key, run_id: stored.runId, ...(traceparent ? { traceparent } : {}) });
    return c.json({ run_id: stored.runId, status: "queued" as const, idempotency_key: key }, 202);
  });

  app.openapi(listRunsRoute, async (c) => {
    const query = c.req.valid("query");
    const runs = await openStore(c.env).listRuns({
      workflow: query.workflow,
      status: query.status,
      limit: query.limit === undefined ? DEFAULT_RUN_LIST_LIMIT : Number(query.limit),
    });
    return c.json({ runs }, 200);
  });

  app.openapi(getRunRoute, async (c) => {
    const store = openStore(c.env);
    const runId = c.req.valid("param").run_id;
    const read = await store.runWithSteps(runId);
    if (!read) return c.json(runNotFound, 404);
    const { run, steps } = read;
    // A suspended step shows the call waiting for a decision and its arguments.
    const shown = await Promise.all(
      steps.map(async (step) =>
        step.status === "pending_approval" || step.status === "needs_human" ? { ...step, pending_approval: await store.latestApproval(run.id, step.id) } : step,
      ),
    );
    return c.json({ run, steps: shown.length > 0 ? shown : null }, 200);
  });

  app.openapi(envelopeRoute, async (c) => {
    const runId = c.req.valid("param").run_id;
    const served = await servedEnvelope(c.env, runId);
    if (!served) return c.json(runNotFound, 404);
    // Streamed: paged fanout results are read from the run's object page by page, never held whole.
    const { paged, ...envelope } = served;
    const pages = (stepId: string, from: number, limit: number) => itemPageOf(c.env, runId, stepId, from, limit);
    return c.body(envelopeStream(envelope, paged, pages), 200, { "content-type": "application/json" }) as never;
  });

  app.openapi(itemsRoute, async (c) => {
    const { run_id: runId, step_id: stepId } = c.req.valid("param");
    const query = c.req.valid("query");
    if (!(await openStore(c.env).getRun(runId))) return c.json(runNotFound, 404);
    const from = Number(query.cursor ?? 0);
    const limit = query.limit === undefined ? DEFAULT_ITEM_PAGE_LIMIT : Number(query.limit);
    const answer = await itemPageOf(c.env, runId, stepId, from, limit, query.calls === "true");
    if (answer.status === 200) return c.json(answer.page, 200);
    return c.json({ error: answer.status === 404 ? "not_found" : "invalid_request", message: answer.message }, answer.status);
  });

  // Live progress: Server-Sent Events from the run's Durable Object, resumable with Last-Event-ID.
  app.openapi(eventsRoute, async (c) => {
    const { run_id: runId } = c.req.valid("param");
    if (!(await openStore(c.env).getRun(runId))) return c.json(runNotFound, 404);
    const after = c.req.valid("header")["last-event-id"] ?? c.req.valid("query").after ?? "0";
    return retryDurableObjectCall(() => runStub(c.env, runId).fetch(`https://run/events?after=${encodeURIComponent(after)}`));
  });

  app.openapi(cancelRunRoute, async (c) => {
    const { run_id: runId } = c.req.valid("param");
    const result = await cancelByRequest(c.env, runId);
    if (result.status === 200) return c.json({ run_id: runId, status: "cancelled" as const }, 200);
    if (result.status === 404) return c.json(runNotFound, 404);
    return c.json({ error: "conflict", message: result.message ?? "run already ended" }, 409);
  });

  app.openapi(approvalRoute, async (c) => {
    const { run_id, step_id } = c.req.valid("param");
    const approval = await openStore(c.env).latestApproval(run_id, step_id);
    return approval ? c.json(approval, 200) : c.json({ error: "not_found", message: "approval not found" }, 404);
  });

  app.openapi(bodyReadByHandler(decideRoute), async (c) => {
    const { run_id, step_id } = c.req.valid("param");
    const body = await readJsonBody(c);
    const decided = body.ok ? DecisionSchema.safeParse(body.value) : null;
    if (!decided?.success) return c.json({ error: "invalid_request", message: 'decision must be "approved" or "rejected"' }, 400);
    // Not retried: a decision that went through would be refused (409) on a second try.
    const result = await runStub(c.env, run_id).decide(step_id, decided.data.decision);
    if (result.status === 200) return c.body(null, 200);
    const error = result.status === 404 ? "not_found" : result.status === 409 ? "conflict" : result.status === 400 ? "invalid_request" : "internal_error";
    return c.json({ error, message: result.message ?? "" }, result.status);
  });

  app.openapi(pendingApprovalsRoute, async (c) => c.json(await openStore(c.env).pendingApprovals(), 200));
}
